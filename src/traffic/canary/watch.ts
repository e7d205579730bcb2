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

/**
 * One step at `percent` (traffic moved there just before). Each check judges the traffic since the
 * previous check (so that one slow moment fails one check, not every check after it), or, when that is
 * too little for a verdict, the step so far. Ends passed (a pass once the step's time is up), failed
 * (canary-failure-limit failing checks in a row, or still failing at twice the step's time), or quiet
 * (too few requests at twice the step's time).
 */
export async function watchStep(watched: Watched, percent: number): Promise<StepReport> {
  const { canary } = watched;
  const started = Date.now();
  const report = emptyReport(percent, false);
  let failures = 0;
  let previous: TrafficMark[] | undefined;
  for (;;) {
    await pause(canary.checkSeconds, watched.signal);
    const step = await read(watched);
    const recent = previous ? await read(watched, previous) : step;
    previous = step.marks;
    const elapsed = (Date.now() - started) / 1000;
    const verdict = record(report, { recent, wide: step, wideName: 'the step so far' }, watched, elapsed);
    failures = verdict.kind === 'fail' ? failures + 1 : 0;
    if (failures >= canary.failureLimit) return end(report, 'failed', reason(verdict), elapsed);
    if (elapsed < canary.stepSeconds) continue;
    if (verdict.kind === 'pass') return end(report, 'passed', undefined, elapsed);
    if (elapsed + canary.checkSeconds <= canary.stepSeconds * 2) continue;
    if (verdict.kind === 'fail') return end(report, 'failed', reason(verdict), elapsed);
    return end(report, 'quiet', reason(verdict), elapsed);
  }
}

/**
 * The cooldown: all traffic on the new release for canary-cooldown seconds. Each check judges the
 * traffic since the previous check or, when that is too little, the last canary-step-seconds (a
 * sliding window: a fault that starts late is not diluted by the healthy start). Compares with
 * `before`, the old release's figures from the last step. Fails like a step.
 */
export async function watchCooldown(watched: Watched, before: StepReport | undefined): Promise<StepReport> {
  const { canary } = watched;
  const started = Date.now();
  const report = emptyReport(100, true);
  const ticks: { at: number; marks: TrafficMark[] }[] = [];
  let failures = 0;
  while ((Date.now() - started) / 1000 < canary.cooldownSeconds) {
    const left = canary.cooldownSeconds - (Date.now() - started) / 1000;
    await pause(Math.min(canary.checkSeconds, left), watched.signal);
    const windowStart = Date.now() - canary.stepSeconds * 1000;
    const since = ticks.filter((tick) => tick.at <= windowStart).at(-1)?.marks;
    const window = await read(watched, since);
    const recent = ticks.length ? await read(watched, ticks.at(-1)?.marks) : window;
    ticks.push({ at: Date.now(), marks: window.marks });
    const elapsed = (Date.now() - started) / 1000;
    const wideName = `the last ${canary.stepSeconds}s`;
    const verdict = record(report, { recent, wide: window, wideName }, watched, elapsed, before);
    failures = verdict.kind === 'fail' ? failures + 1 : 0;
    if (failures >= canary.failureLimit) return end(report, 'failed', reason(verdict), elapsed);
  }
  return end(report, 'passed', undefined, (Date.now() - started) / 1000);
}

/** Every host's figures since `since` (default: the proxy's last hand-over), and the new release's use. */
async function read(watched: Watched, since?: TrafficMark[]): Promise<Reading> {
  const { app, servers, fresh, old } = watched;
  const usage = watchesUsage(watched.canary.thresholds);
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

/** A check's readings: since the previous check, and the wider window judged when that is too little. */
interface CheckReadings {
  recent: Reading;
  wide: Reading;
  /** For the log: "the step so far", "the last 60s". */
  wideName: string;
}

/**
 * Judges a check (the recent traffic, else the wider window), logs it as one line, and keeps the wider
 * window's figures as the step's.
 */
function record(
  report: StepReport,
  { recent, wide, wideName }: CheckReadings,
  watched: Watched,
  elapsed: number,
  before?: StepReport,
): Verdict {
  const { thresholds } = watched.canary;
  const judge = (reading: Reading) =>
    judgeStep(
      combine(reading.hosts.map((host) => host.fresh)),
      combine(reading.hosts.map((host) => host.old)) ?? before?.old,
      thresholds,
    );
  const first = judge(recent);
  const widened = first.kind === 'hold' && recent !== wide;
  const judged = widened ? judge(wide) : first;
  const overUse = judgeUsage(
    wide.hosts.flatMap((host) => host.usage),
    thresholds,
  );
  const verdict: Verdict = overUse ? { kind: 'fail', reason: overUse, figures: judged.figures } : judged;
  const fresh = combine(wide.hosts.map((host) => host.fresh));
  const old = combine(wide.hosts.map((host) => host.old)) ?? before?.old;
  Object.assign(report, { fresh, old: report.cooldown ? before?.old : old, hosts: wide.hosts });
  const judgedFresh = combine((widened ? wide : recent).hosts.map((host) => host.fresh));
  report.errorSeries.push(judgedFresh ? errorRate(judgedFresh) : 0);
  report.p99Series.push(judgedFresh?.p99Ms ?? 0);
  const mark = { pass: '✓', fail: '✗', hold: '…' }[verdict.kind];
  const why = verdict.kind === 'pass' ? '' : ` (${verdict.reason})`;
  const over = widened ? ` over ${wideName}` : '';
  core.info(`[canary]   ${mark} ${elapsed.toFixed(0)}s: ${verdict.figures}${over}${why}`);
  return verdict;
}

function reason(verdict: Verdict): string {
  return verdict.kind === 'pass' ? '' : verdict.reason;
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
