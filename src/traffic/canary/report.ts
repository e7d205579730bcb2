// What a canary did, step by step, with the figures each verdict rested on: for the log, the job summary,
// the PR comment and the release record.

import { BatonError } from '../../errors';
import type { ContainerUsage } from '../../model/container';
import type { ReleaseTraffic } from '../../proxy/types';
import { describeFigures, errorRate, mib } from './analysis';

/** One host's figures over a step's window. */
export interface HostFigures {
  host: string;
  fresh?: ReleaseTraffic;
  old?: ReleaseTraffic;
  usage: ContainerUsage[];
}

export type StepOutcome = 'passed' | 'quiet' | 'failed' | 'cancelled' | 'watching';

export interface StepReport {
  /** Share of traffic on the new release; 100 for the cooldown. */
  percent: number;
  cooldown: boolean;
  seconds: number;
  outcome: StepOutcome;
  /** Across hosts: requests and 5xx summed, p50/p99 the highest host's. */
  fresh?: ReleaseTraffic;
  old?: ReleaseTraffic;
  hosts: HostFigures[];
  /** Per check: the new release's 5xx share (0..1) and p99 (ms), for the sparkline. */
  errorSeries: number[];
  p99Series: number[];
  reason?: string;
}

export interface CanaryReport {
  release: string;
  /** The release that served before, which the canary compares with and falls back to. */
  old: string;
  steps: StepReport[];
  /** Why traffic went back to the old release, when it did. */
  rolledBack?: string;
  /** The cooldown runs on the hosts (canary-cooldown-watch: host): they retire the old release. */
  watchedOnHost?: boolean;
}

/**
 * Traffic went back to the old release: a step or the cooldown failed its thresholds ('thresholds'), the
 * run was cancelled, or something failed on the way (the cause).
 */
export class CanaryRolledBack extends BatonError {
  override name = 'CanaryRolledBack';
  constructor(
    readonly report: CanaryReport,
    readonly reason: string,
    readonly kind: 'thresholds' | 'cancelled' | 'error' = 'thresholds',
    options?: ErrorOptions,
  ) {
    super(`rolled back to ${report.old}: ${reason}`, options);
  }
}

/** A step that ended before its first check (cancelled or broken off). */
export function unjudged(percent: number, cooldown: boolean, outcome: StepOutcome): StepReport {
  return { percent, cooldown, seconds: 0, outcome, hosts: [], errorSeries: [], p99Series: [] };
}

/** Sums requests and errors of hosts; p50/p99 are the highest host's (percentiles do not add up). */
export function combine(list: (ReleaseTraffic | undefined)[]): ReleaseTraffic | undefined {
  const present = list.filter((entry): entry is ReleaseTraffic => entry !== undefined);
  const [first] = present;
  if (!first) return undefined;
  const highest = (pick: (entry: ReleaseTraffic) => number | undefined) => {
    const values = present.flatMap((entry) => (pick(entry) === undefined ? [] : [pick(entry) as number]));
    return values.length ? Math.max(...values) : undefined;
  };
  return {
    release: first.release,
    requests: present.reduce((sum, entry) => sum + entry.requests, 0),
    errors: present.reduce((sum, entry) => sum + entry.errors, 0),
    p50Ms: highest((entry) => entry.p50Ms),
    p99Ms: highest((entry) => entry.p99Ms),
    firstAt: Math.min(...present.map((entry) => entry.firstAt)),
    lastAt: Math.max(...present.map((entry) => entry.lastAt)),
  };
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values, scaled to the highest (all ▁ when every value is 0). */
export function sparkline(values: number[]): string {
  const top = Math.max(0, ...values);
  return values.map((value) => BARS[top ? Math.min(7, Math.round((value / top) * 7)) : 0]).join('');
}

const OUTCOME: Record<StepOutcome, string> = {
  passed: '✅ passed',
  quiet: '⚠️ too few requests, promoted',
  failed: '❌ rolled back',
  cancelled: '⏹️ cancelled, rolled back',
  watching: '👀 watched on the host',
};

/** Markdown: why it rolled back (or that it went through), then the steps' table. */
export function canarySection(report: CanaryReport): string {
  const heading = report.rolledBack
    ? `**Canary rolled back** to \`${report.old}\`: ${report.rolledBack.replace(/\s+/g, ' ').slice(0, 500)}`
    : `**Canary:** \`${report.release}\` took traffic in steps from \`${report.old}\`.`;
  return `${heading}\n\n${renderCanaryTable(report)}`;
}

/** A Markdown table of the steps (and, with several hosts, a line per host under each). */
export function renderCanaryTable(report: CanaryReport): string {
  const rows = [
    '| Step | Time | New release | Old release | Resources (new) | 5xx / p99 per check | Verdict |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const step of report.steps) {
    const label = step.cooldown ? 'cooldown (100%)' : `${step.percent}%`;
    const trend = step.errorSeries.length
      ? `${sparkline(step.errorSeries)} / ${sparkline(step.p99Series)}`
      : '';
    const verdict = `${OUTCOME[step.outcome]}${step.reason ? `: ${step.reason}` : ''}`;
    rows.push(
      `| ${label} | ${step.seconds.toFixed(0)}s | ${cell(step.fresh)} | ${cell(step.old)} | ${usageCell(step.hosts)} | ${trend} | ${verdict} |`,
    );
    if (step.hosts.length > 1)
      for (const host of step.hosts)
        rows.push(
          `| ↳ ${host.host} | | ${cell(host.fresh)} | ${cell(host.old)} | ${usageCell([host])} | | |`,
        );
  }
  return rows.join('\n');
}

function cell(traffic: ReleaseTraffic | undefined): string {
  if (!traffic?.requests) return 'no requests';
  const p99 = traffic.p99Ms === undefined ? '?' : `${Math.round(traffic.p99Ms)} ms`;
  return `${traffic.requests} req, ${(errorRate(traffic) * 100).toFixed(2)}% 5xx, p99 ${p99}`;
}

function usageCell(hosts: HostFigures[]): string {
  const usage = hosts.flatMap((host) => host.usage.slice(0, 1));
  if (!usage.length) return '';
  const cpu = Math.max(...usage.map((entry) => entry.cpuPercent));
  const memory = Math.max(...usage.map((entry) => entry.memoryBytes));
  return `${cpu.toFixed(1)}% CPU, ${mib(memory)}`;
}

/** "errors: 0.02%, p99: 180ms" for the log. */
export function stepFigures(step: StepReport): string {
  return describeFigures(step.fresh);
}
