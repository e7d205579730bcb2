// What a canary step must show to pass: the canary-max-* settings, judged in traffic/canary/analysis.ts.

/**
 * What a step must show to pass. Defaults after Flagger's built-in checks: request-success-rate ≥ 99%
 * and request-duration (P99) ≤ 500 ms; "p99 ≤ 1.2× the old release" as in Flagger/Argo comparisons.
 */
export interface Thresholds {
  /** Least requests the new release must serve in the window for a verdict; fewer: hold. */
  minRequests: number;
  /** Highest share of 5xx answers of the new release (0.01 = 1%). */
  maxErrorRate: number;
  /** Highest rise of the 5xx share over the old release's in the same window, in points (0.005 = 0.5). */
  maxErrorRateRise: number;
  /** Highest p99 of the upstream response time, ms. */
  maxP99Ms: number;
  /** Highest p99 relative to the old release's (1.2 = 20% slower)... */
  maxP99Ratio: number;
  /** ...unless within this many ms of it (a 1 ms old p99 makes 1.2× noise). */
  p99SlackMs: number;
  /** Highest CPU use of a new container, percent of one core; none when absent. */
  maxCpuPercent?: number;
  /** Highest memory use of a new container, bytes; none when absent. */
  maxMemoryBytes?: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  minRequests: 20,
  maxErrorRate: 0.01,
  maxErrorRateRise: 0.005,
  maxP99Ms: 500,
  maxP99Ratio: 1.2,
  p99SlackMs: 20,
};
