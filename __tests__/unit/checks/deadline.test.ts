import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseChecksFile } from '../../../src/checks/checks-file';
import type { CheckSuite } from '../../../src/checks/model';
import type { Target } from '../../../src/checks/probes';
import { resolveChecks } from '../../../src/checks/resolve';
import { ChecksFailedError, runChecks, type Timing } from '../../../src/checks/run';
import { type HttpOptions, type HttpResult, httpGetOver } from '../../../src/host/http';
import type { RemoteHost } from '../../../src/host/ssh';
import { DockerCli } from '../../../src/runtime/docker-cli';
import { checkSettings } from '../support';

const SETTINGS = checkSettings({ readyPath: '/up', readyTimeout: 2, defaultChecksWait: 0 });

/**
 * A target whose HTTP probes never answer and ignore their own timeout (a stuck SSH channel): only the
 * check's deadline can end them. Records the signal of every probe, and answers "running" to docker inspect.
 */
function hungTarget(answers: HttpResult[] = []) {
  const signals: AbortSignal[] = [];
  const host = {
    label: 'fake',
    httpGet: (_address: string, _port: number, options: HttpOptions) => {
      if (options.signal) signals.push(options.signal);
      const answer = answers.shift();
      return answer ? Promise.resolve(answer) : new Promise<HttpResult>(() => undefined);
    },
    run: async (argv: readonly string[]) => ({
      stdout: argv.includes('logs') ? 'app output\n' : 'running 0 0\n',
      stderr: '',
      code: 0,
    }),
  } as unknown as RemoteHost;
  const target: Target = {
    host,
    runtime: new DockerCli(host),
    container: 'web-1',
    appPort: 3000,
    publishedPort: 32768,
    address: async () => '172.17.0.2',
    startedAt: Date.now(),
  };
  return { target, signals };
}

/** Runs the checks, lets fake time run for `ms`, and returns how they ended (undefined: still running). */
async function outcome(target: Target, suite: CheckSuite, timing: Timing, ms: number) {
  let settled: unknown;
  runChecks(target, suite, timing).then(
    () => (settled = 'passed'),
    (error: unknown) => (settled = error),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return settled;
}

describe('a check whose probe hangs forever', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('fails at the ready-timeout, naming it, and aborts the probe in flight', async () => {
    const { target, signals } = hungTarget();
    const suite = resolveChecks(SETTINGS, () => undefined).suite;
    const error = await outcome(target, suite, 'fast', 2000);
    expect(error).toBeInstanceOf(ChecksFailedError);
    expect((error as Error).message).toBe(
      'web-1 check ready (input ready-path) failed on attempt 1: no answer (gave up: the ready-timeout of 2s ran out; the probe in flight was aborted)',
    );
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('reports the last answer it got, not only the aborted probe', async () => {
    const refused: HttpResult = { ok: false, error: 'connection closed without an answer' };
    const { target, signals } = hungTarget([refused, refused]);
    const suite = resolveChecks(SETTINGS, () => undefined).suite;
    const error = await outcome(target, suite, 'fast', 2000);
    expect((error as Error).message).toBe(
      'web-1 check ready (input ready-path) failed on attempt 3: connection closed without an answer (gave up: the ready-timeout of 2s ran out; the probe in flight was aborted)',
    );
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false, true]);
  });

  it("CHECKS in fast timing: each probe ends at TIMEOUT, the check at Dokku's budget", async () => {
    const { target, signals } = hungTarget();
    const suite = parseChecksFile('WAIT=0\nTIMEOUT=1\nATTEMPTS=2\n/', 'CHECKS');
    const error = await outcome(target, suite, 'fast', 2000);
    expect((error as Error).message).toBe(
      "web-1 check check-1 (CHECKS:4) failed on attempt 2/2: no answer within 1000 ms (gave up: Dokku's budget of 2s for 2 attempts ran out; the probe in flight was aborted)",
    );
    expect(signals.length).toBeGreaterThanOrEqual(2);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('CHECKS in dokku timing: each of the ATTEMPTS probes is aborted at TIMEOUT, then the check fails', async () => {
    const { target, signals } = hungTarget();
    const suite = parseChecksFile('WAIT=0\nTIMEOUT=1\nATTEMPTS=3\n/', 'CHECKS');
    const error = await outcome(target, suite, 'dokku', 3000);
    expect((error as Error).message).toBe(
      'web-1 check check-1 (CHECKS:4) failed on attempt 3/3: no answer within 1000 ms',
    );
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('still passes as soon as a probe answers within the deadline', async () => {
    const refused: HttpResult = { ok: false, error: 'connection closed without an answer' };
    const { target } = hungTarget([refused, { ok: true, status: 200, body: 'ok' }]);
    const suite = resolveChecks(SETTINGS, () => undefined).suite;
    expect(await outcome(target, suite, 'fast', 2000)).toBe('passed');
  });
});

describe('httpGetOver with a signal', () => {
  /** A channel that takes the request and never answers. */
  const silent = () =>
    new Duplex({
      read() {},
      write(_chunk, _encoding, callback) {
        callback();
      },
    });

  it('aborts a request in flight, with the reason, and closes the channel', async () => {
    const stream = silent();
    const controller = new AbortController();
    const pending = httpGetOver(async () => stream, {
      path: '/',
      timeoutMs: 3_600_000,
      signal: controller.signal,
    });
    controller.abort(new Error('the ready-timeout of 4s ran out'));
    expect(await pending).toEqual({ ok: false, error: 'the ready-timeout of 4s ran out' });
    expect(stream.destroyed).toBe(true);
  });

  it('gives up on a channel that never opens, and closes it if it opens later', async () => {
    const stream = silent();
    let open: (stream: Duplex) => void = () => undefined;
    const opening = new Promise<Duplex>((resolve) => (open = resolve));
    const controller = new AbortController();
    const pending = httpGetOver(() => opening, {
      path: '/',
      timeoutMs: 3_600_000,
      signal: controller.signal,
    });
    controller.abort(new Error('deadline'));
    expect(await pending).toEqual({ ok: false, error: 'deadline' });
    open(stream);
    await opening;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
  });
});
