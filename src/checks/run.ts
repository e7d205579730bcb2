import * as core from '@actions/core';
import { BatonError } from '../errors';
import { type CheckResult, type CheckSuite, describeCheck, type HealthCheck, type Timing } from './model';
import { deadline, sleep, unlessAborted } from './deadline';
import { containerUp, type ProbeResult, probe, type Target } from './probes';

export type { CheckResult, Timing } from './model';

export class ChecksFailedError extends BatonError {
  override name = 'ChecksFailedError';
  constructor(
    message: string,
    readonly container: string,
    readonly containerLog: string,
    readonly results: CheckResult[],
  ) {
    super(message);
  }
}

const POLL_MS = 50;
const ALIVE_EVERY_MS = 1000;

/** Runs the startup checks against the new container; resolves when all pass, throws when one fails. */
export async function runChecks(target: Target, suite: CheckSuite, timing: Timing): Promise<CheckResult[]> {
  const legacy = suite.source === 'CHECKS';
  const run = (check: HealthCheck) => runCheck(target, check, timing, legacy);
  const results: CheckResult[] = [];
  if (suite.sequential) for (const check of suite.startup) results.push(await run(check));
  else results.push(...(await Promise.all(suite.startup.map(run))));
  const failed = results.filter((result) => !result.ok);
  if (failed.length === 0) {
    core.info(`All checks successful! (${target.container} on ${target.host.label})`);
    return results;
  }
  core.info(` !     Could not start due to ${failed.length} failed checks.`);
  const first = failed[0] as CheckResult;
  const why = `check ${first.check.name} (${first.check.origin}) failed on attempt ${attemptText(first.check, first.attempt)}: ${first.got}`;
  const log = await target.runtime.logs(target.container, 100);
  throw new ChecksFailedError(`${target.container} ${why}`, target.container, log, results);
}

async function runCheck(
  target: Target,
  check: HealthCheck,
  timing: Timing,
  legacy: boolean,
): Promise<CheckResult> {
  core.info(`       ${check.name} (${check.origin}) expects: ${describeCheck(check)}`);
  const started = Date.now();
  const done = (ok: boolean, attempt: number, got: string): CheckResult => {
    const elapsedMs = Date.now() - started;
    if (ok)
      core.info(
        `✓ ${check.name} passed on attempt ${attemptText(check, attempt)} (${(elapsedMs / 1000).toFixed(2)}s): ${got}`,
      );
    else core.info(` !     ${check.name} failed on attempt ${attemptText(check, attempt)}: ${got}`);
    return { check, ok, attempt, got, elapsedMs };
  };
  if (check.kind === 'uptime') {
    const crash = await sleepWatching(target, target.startedAt + check.uptime * 1000 - Date.now());
    const result = crash ?? (await containerUp(target));
    return done(result.ok, 1, result.got);
  }
  if (timing === 'dokku')
    return legacy ? dokkuChecksFile(target, check, done) : dokkuAppJson(target, check, done);
  return poll(target, check, legacy, done);
}

type Done = (ok: boolean, attempt: number, got: string) => CheckResult;

/**
 * Polls until the check passes or Dokku's whole budget for it is spent; a crash fails at once. The budget
 * is a deadline: the probe in flight when it runs out is aborted, whatever it was waiting on.
 */
async function poll(target: Target, check: HealthCheck, legacy: boolean, done: Done): Promise<CheckResult> {
  const seconds = budgetSeconds(check, legacy);
  const limit = check.budget
    ? `the ready-timeout of ${seconds}s`
    : `Dokku's budget of ${seconds}s for ${check.attempts} attempts`;
  const end = deadline(seconds * 1000, `${limit} ran out`);
  try {
    return await pollUntil(
      target,
      check,
      { signal: end.signal, limit, slotMs: (seconds * 1000) / check.attempts },
      done,
    );
  } finally {
    end.clear();
  }
}

/** The check's deadline, what to call it in the log, and how long one of Dokku's attempts may take. */
interface Budget {
  signal: AbortSignal;
  limit: string;
  slotMs: number;
}

async function pollUntil(
  target: Target,
  check: HealthCheck,
  budget: Budget,
  done: Done,
): Promise<CheckResult> {
  const { signal, limit, slotMs } = budget;
  const started = Date.now();
  let polls = 0;
  const attempt = () =>
    check.budget ? polls : Math.min(check.attempts, Math.floor((Date.now() - started) / slotMs) + 1);
  let lastAlive = started;
  let last: ProbeResult | undefined;
  let shown = '';
  while (!signal.aborted) {
    polls++;
    const result = await probe(target, check, check.timeout * 1000, signal);
    if (result.ok) return done(true, attempt(), result.got);
    if (signal.aborted) {
      const answer = last ? last.got : 'no answer';
      return done(false, attempt(), `${answer} (gave up: ${limit} ran out; the probe in flight was aborted)`);
    }
    last = result;
    // One line per Dokku attempt slot, or per new answer: readable, not one line per poll.
    const key = check.budget ? result.got : `${attemptText(check, attempt())}: ${result.got}`;
    if (key !== shown) core.info(` !     Attempt ${attemptText(check, attempt())}: ${result.got}`);
    shown = key;
    if (Date.now() - lastAlive >= ALIVE_EVERY_MS) {
      lastAlive = Date.now();
      const alive = await unlessAborted(containerUp(target), signal, () => undefined);
      if (alive && !alive.ok) return done(false, attempt(), alive.got);
    }
    await sleep(POLL_MS, signal);
  }
  return done(false, attempt(), `${last?.got ?? 'no answer'} (gave up: ${limit} ran out)`);
}

/** Dokku's CHECKS loop, to the second: sleep WAIT before every attempt, then one request. */
async function dokkuChecksFile(target: Target, check: HealthCheck, done: Done): Promise<CheckResult> {
  let last: ProbeResult = { ok: false, got: 'not run', transport: true };
  for (let attempt = 1; attempt <= check.attempts; attempt++) {
    core.info(`       Attempt ${attempt}/${check.attempts}. Waiting for ${check.wait} seconds ...`);
    const crash = await sleepWatching(target, check.wait * 1000);
    if (crash) return done(false, attempt, crash.got);
    last = await probe(target, check, check.timeout * 1000);
    if (last.ok) return done(true, attempt, last.got);
    core.info(` !     ${last.got}`);
    core.info(` !     Check attempt ${attempt}/${check.attempts} failed.`);
  }
  return done(false, check.attempts, last.got);
}

/** docker-container-healthchecker's loop: initialDelay, then attempts `wait` apart; HTTP retries only transport errors. */
async function dokkuAppJson(target: Target, check: HealthCheck, done: Done): Promise<CheckResult> {
  const crash = await sleepWatching(target, target.startedAt + check.initialDelay * 1000 - Date.now());
  if (crash) return done(false, 1, crash.got);
  let last: ProbeResult = { ok: false, got: 'not run', transport: true };
  for (let attempt = 1; attempt <= check.attempts; attempt++) {
    last = await probe(target, check, check.timeout * 1000);
    if (last.ok) return done(true, attempt, last.got);
    if (check.kind === 'path' && !last.transport) return done(false, attempt, last.got);
    core.info(` !     Attempt ${attempt}/${check.attempts}: ${last.got}`);
    if (attempt < check.attempts) {
      const crashed = await sleepWatching(target, check.wait * 1000);
      if (crashed) return done(false, attempt, crashed.got);
    }
  }
  return done(false, check.attempts, last.got);
}

/** The most time Dokku could spend on a check before failing it: Baton never gives up earlier. */
export function budgetSeconds(check: HealthCheck, legacy: boolean): number {
  if (check.budget !== undefined) return check.budget;
  if (legacy) return check.attempts * (check.wait + check.timeout);
  return check.initialDelay + check.attempts * check.timeout + (check.attempts - 1) * check.wait;
}

export function attemptText(check: HealthCheck, attempt: number): string {
  return check.budget ? String(attempt) : `${attempt}/${check.attempts}`;
}

/** Sleeps, checking every second that the container is still up; returns the failure if it is not. */
async function sleepWatching(target: Target, ms: number): Promise<ProbeResult | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(Math.min(ALIVE_EVERY_MS, until - Date.now()));
    const alive = await containerUp(target);
    if (!alive.ok) return alive;
  }
  return undefined;
}
