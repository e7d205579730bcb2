// The canary's judgement of one step, from the proxy's per-release figures over the step's window. Pure:
// the strategy that moves traffic step by step (issue 14) reads the figures and acts on the verdict.

import type { ContainerUsage } from '../../model/container';
import type { ReleaseTraffic } from '../../proxy/types';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../../model/thresholds';

export { DEFAULT_THRESHOLDS, type Thresholds } from '../../model/thresholds';

export type Verdict =
  | { kind: 'pass'; figures: string }
  | { kind: 'fail'; reason: string; figures: string }
  | { kind: 'hold'; reason: string; figures: string };

/** Judges the new release against the thresholds and against the old release over the same window. */
export function judgeStep(
  fresh: ReleaseTraffic | undefined,
  old: ReleaseTraffic | undefined,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): Verdict {
  const figures = describeFigures(fresh);
  const requests = fresh?.requests ?? 0;
  if (!fresh || requests < thresholds.minRequests)
    return {
      kind: 'hold',
      reason: `${requests} request(s) reached the new release, fewer than the ${thresholds.minRequests} a verdict needs`,
      figures,
    };
  const reason = errorReason(fresh, old, thresholds) ?? latencyReason(fresh, old, thresholds);
  return reason ? { kind: 'fail', reason, figures } : { kind: 'pass', figures };
}

function errorReason(
  fresh: ReleaseTraffic,
  old: ReleaseTraffic | undefined,
  t: Thresholds,
): string | undefined {
  const rate = errorRate(fresh);
  if (rate > t.maxErrorRate) return `5xx rate ${percent(rate)} is above ${percent(t.maxErrorRate)}`;
  if (!old || old.requests < t.minRequests) return undefined;
  const before = errorRate(old);
  if (rate - before > t.maxErrorRateRise)
    return `5xx rate ${percent(rate)} is ${points(rate - before)} above the old release's ${percent(before)} (at most ${points(t.maxErrorRateRise)})`;
  return undefined;
}

function latencyReason(
  fresh: ReleaseTraffic,
  old: ReleaseTraffic | undefined,
  t: Thresholds,
): string | undefined {
  const p99 = fresh.p99Ms;
  if (p99 === undefined) return undefined;
  if (p99 > t.maxP99Ms) return `p99 ${ms(p99)} is above ${ms(t.maxP99Ms)}`;
  const before = old && old.requests >= t.minRequests ? old.p99Ms : undefined;
  if (before === undefined) return undefined;
  const limit = Math.max(before * t.maxP99Ratio, before + t.p99SlackMs);
  if (p99 > limit)
    return `p99 ${ms(p99)} is above ${t.maxP99Ratio}× the old release's ${ms(before)} (limit ${ms(limit)})`;
  return undefined;
}

/** A new container over the CPU or memory limit fails the step whatever its traffic says. */
export function judgeUsage(usage: ContainerUsage[], thresholds: Thresholds): string | undefined {
  for (const { name, cpuPercent, memoryBytes } of usage) {
    if (thresholds.maxCpuPercent !== undefined && cpuPercent > thresholds.maxCpuPercent)
      return `${name} uses ${cpuPercent.toFixed(1)}% CPU, above ${thresholds.maxCpuPercent}%`;
    if (thresholds.maxMemoryBytes !== undefined && memoryBytes > thresholds.maxMemoryBytes)
      return `${name} uses ${mib(memoryBytes)} of memory, above ${mib(thresholds.maxMemoryBytes)}`;
  }
  return undefined;
}

/** Whether the thresholds ask for the engine's stats at every check. */
export function watchesUsage(thresholds: Thresholds): boolean {
  return thresholds.maxCpuPercent !== undefined || thresholds.maxMemoryBytes !== undefined;
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function errorRate(traffic: ReleaseTraffic): number {
  return traffic.requests ? traffic.errors / traffic.requests : 0;
}

/** "errors: 0.02%, p99: 180ms" (as the log line after each step says it). */
export function describeFigures(traffic: ReleaseTraffic | undefined): string {
  if (!traffic?.requests) return 'no requests';
  const p99 = traffic.p99Ms === undefined ? '?' : ms(traffic.p99Ms);
  return `${traffic.requests} requests, errors: ${percent(errorRate(traffic))}, p99: ${p99}`;
}

function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

function points(rate: number): string {
  return `${Number((rate * 100).toFixed(2))} points`;
}

function ms(value: number): string {
  return `${Math.round(value)}ms`;
}
