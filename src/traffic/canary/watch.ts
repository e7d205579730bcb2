// Watching the new release's live traffic for one step (or the cooldown): read every host's figures at
// each check, judge them, and say how the step ended. Moving traffic is the strategy's (./index.ts).

import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatonError, CancelledError } from '../../errors';
import { onEachServer, type Server } from '../../fleet';
import type { TrafficMark } from '../../proxy/types';
import type { CanaryPlan } from '../../plan/traffic';
import { errorRate, judgeStep, judgeUsage, type Verdict, watchesUsage } from './analysis';
import { combine, type HostFigures, type StepReport, unjudged } from './report';

/** What a watch looks at: the app, both releases and their containers, and how to judge them. */
export interface Watched {
  app: string;
  servers: Server[];
  fresh: { release: string; container: string };
  old: { release: string; container?: string };
  canary: CanaryPlan;
  /** Aborted when the run is cancelled. */
  signal: AbortSignal;
}

interface Reading {
  hosts: HostFigures[];
  marks: TrafficMark[];
}

/** Where a series of checks stands: the mark the next judgement starts from, and what the last ones said. */
interface Checks {
  /** The marks of the last check that reached a verdict; undefined: the hand-over to this share. */
  judgedFrom?: TrafficMark[];
  failures: number;
  /** The last verdict that was not a hold. */
  last?: Verdict;
}

/**
 * One check: judges the traffic since the last check that reached a verdict (a burst is judged once,
 * and a quiet spell adds up until there is enough for one), keeps the figures since the hand-over to
 * this share for the report, and logs a line.
 */
async function check(
  checks: Checks,
  watched: Watched,
  report: StepReport,
  elapsed: () => number,
  before?: StepReport,
) {
  const all = await read(watched, undefined, !checks.judgedFrom);
  const recent = checks.judgedFrom ? await read(watched, checks.judgedFrom, true) : all;
  const verdict = record(report, { judged: recent, shown: all }, watched, elapsed(), before);
  if (verdict.kind === 'hold') return verdict;
  checks.judgedFrom = recent.marks;
  checks.last = verdict;
  checks.failures = verdict.kind === 'fail' ? checks.failures + 1 : 0;
  return verdict;
}

/**
 * One step at `percent` (traffic moved there just before), checked every canary-check-seconds. Ends
 * passed (the last verdict a pass once the step's time is up), failed (canary-failure-limit failing
 * checks in a row, or still failing at twice the step's time), or quiet (no verdict yet at twice the
 * step's time).
 */
export async function watchStep(watched: Watched, percent: number): Promise<StepReport> {
  const { canary } = watched;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const report = emptyReport(percent, false);
  const checks: Checks = { failures: 0 };
  for (;;) {
    await pause(canary.checkSeconds, watched.signal);
    const verdict = await check(checks, watched, report, elapsed);
    const { last, failures } = checks;
    if (failures >= canary.failureLimit) return end(report, 'failed', reason(last), elapsed());
    if (elapsed() < canary.stepSeconds) continue;
    if (last?.kind === 'pass') return end(report, 'passed', undefined, elapsed());
    if (elapsed() + canary.checkSeconds <= canary.stepSeconds * 2) continue;
    if (last?.kind === 'fail') return end(report, 'failed', reason(last), elapsed());
    return end(report, 'quiet', reason(verdict), elapsed());
  }
}

/**
 * The cooldown: all traffic on the new release for canary-cooldown seconds, checked as a step is (each
 * check on the traffic since the last verdict, so that a fault that starts late is not diluted by the
 * healthy start). Compares with `before`, the old release's figures from the last step. Fails like a
 * step; a quiet cooldown passes.
 */
export async function watchCooldown(watched: Watched, before: StepReport | undefined): Promise<StepReport> {
  const { canary } = watched;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const report = emptyReport(100, true);
  const checks: Checks = { failures: 0 };
  while (elapsed() < canary.cooldownSeconds) {
    await pause(Math.min(canary.checkSeconds, canary.cooldownSeconds - elapsed()), watched.signal);
    await check(checks, watched, report, elapsed, before);
    if (checks.failures >= canary.failureLimit) return end(report, 'failed', reason(checks.last), elapsed());
  }
  return end(report, 'passed', undefined, elapsed());
}

/**
 * Every host's figures since `since` (default: the proxy's last hand-over), and, with `withUsage` when
 * the thresholds need it, the new release's CPU and memory.
 */
async function read(
  watched: Watched,
  since: TrafficMark[] | undefined,
  withUsage: boolean,
): Promise<Reading> {
  const { app, servers, fresh, old } = watched;
  const usage = withUsage && watchesUsage(watched.canary.thresholds);
  const readings = await onEachServer(servers, async (server) => {
    const [traffic, use] = await Promise.all([
      server.proxy.traffic(app, since?.[servers.indexOf(server)]),
      usage ? server.runtime.usage([fresh.container]) : Promise.resolve([]),
    ]);
    if (!traffic)
      throw new BatonError(`${server.proxy.name} keeps no per-release figures for a canary to judge`);
    const pick = (release: string) => traffic.releases.find((entry) => entry.release === release);
    const figures: HostFigures = {
      host: server.label,
      fresh: pick(fresh.release),
      old: pick(old.release),
      usage: use,
    };
    return { figures, mark: traffic.mark };
  });
  return { hosts: readings.map((entry) => entry.figures), marks: readings.map((entry) => entry.mark) };
}

/** A check's readings: the one judged, and the one shown as the step's figures (since its hand-over). */
interface CheckReadings {
  judged: Reading;
  shown: Reading;
}

/** Judges a check, logs it as one line, and keeps the figures since the hand-over as the step's. */
function record(
  report: StepReport,
  { judged, shown }: CheckReadings,
  watched: Watched,
  elapsed: number,
  before?: StepReport,
): Verdict {
  const { thresholds } = watched.canary;
  const fresh = combine(judged.hosts.map((host) => host.fresh));
  const judgedOld = combine(judged.hosts.map((host) => host.old));
  const shownOld = combine(shown.hosts.map((host) => host.old)) ?? before?.old;
  // The old release compared with: over the same window when it served enough there, else over the step
  // so far (at a high share it gets few requests). Not in the cooldown: the old release serves nothing
  // then, and its figures from a step at a lower load are no fair measure of the new one at 100%.
  const enough = (traffic: typeof judgedOld) => (traffic?.requests ?? 0) >= thresholds.minRequests;
  const old = report.cooldown ? undefined : ([judgedOld, shownOld].find(enough) ?? judgedOld);
  const verdict = judgeStep(fresh, old, thresholds);
  const overUse = judgeUsage(
    judged.hosts.flatMap((host) => host.usage),
    thresholds,
  );
  const final: Verdict = overUse ? { kind: 'fail', reason: overUse, figures: verdict.figures } : verdict;
  Object.assign(report, {
    fresh: combine(shown.hosts.map((host) => host.fresh)),
    old: report.cooldown ? before?.old : shownOld,
    // The new container's use is read once a check, with the judged reading: the hosts shown keep it.
    hosts: shown.hosts.map((host, index) => ({ ...host, usage: judged.hosts[index]?.usage ?? [] })),
  });
  report.errorSeries.push(fresh ? errorRate(fresh) : 0);
  report.p99Series.push(fresh?.p99Ms ?? 0);
  const mark = { pass: '✓', fail: '✗', hold: '…' }[final.kind];
  const why = final.kind === 'pass' ? '' : ` (${final.reason})`;
  core.info(`[canary]   ${mark} ${elapsed.toFixed(0)}s: ${final.figures}${why}`);
  return final;
}

function reason(verdict: Verdict | undefined): string {
  return !verdict || verdict.kind === 'pass' ? '' : verdict.reason;
}

function end(
  report: StepReport,
  outcome: StepReport['outcome'],
  why: string | undefined,
  seconds: number,
): StepReport {
  return { ...report, outcome, seconds, ...(why ? { reason: why } : {}) };
}

function emptyReport(percent: number, cooldown: boolean): StepReport {
  return unjudged(percent, cooldown, 'passed');
}

/** Waits `seconds`; a cancellation of the run ends the wait at once. */
async function pause(seconds: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(seconds * 1000, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw new CancelledError('the deploy was cancelled during the canary');
    throw error;
  }
}
