import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../../src/errors';
import { planTraffic } from '../../../src/plan/traffic';
import type { TrafficMark } from '../../../src/proxy/types';
import type { StepReport } from '../../../src/traffic/canary/report';
import { type Watched, watchCooldown, watchStep } from '../../../src/traffic/canary/watch';
import { drive, type Load, scriptTraffic } from '../support/canary';
import { captureLog, expectNoStrayCommands, type FakeServer, fakeServer, testConfig } from '../support/fakes';

// The watch waits with node:timers/promises, which vitest's fake timers do not replace: the global timers do.
vi.mock('node:timers/promises', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:timers/promises')>()),
  ...(await import('../support/timers')),
}));

const NOW = new Date('2024-03-05T14:07:09.123Z');
const FRESH = { release: 'new', container: 'web-new' };

let log: ReturnType<typeof captureLog>;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  log = captureLog();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  expectNoStrayCommands();
});

/** The new release's traffic: `requests` a second with `errors` 5xx among them; the old one healthy. */
const steady =
  (requests: number, errors = 0): Load =>
  () => ({ fresh: { requests, errors, p99: 20 }, old: { requests: 50, p99: 20 } });

/** A watch over servers whose traffic is `load` (each its own, or one for all), with canary-* `inputs`. */
function watching(inputs: Record<string, string>, load: Load | Load[], labels = ['deploy@a']) {
  const traffic = planTraffic(testConfig({ 'skip-canary': 'false', ...inputs }));
  if (traffic.strategy !== 'canary') throw new Error('expected a canary plan');
  const servers = labels.map((label) => fakeServer(label));
  servers.forEach((server, index) =>
    scriptTraffic(
      server,
      { fresh: FRESH.release, old: 'old' },
      Array.isArray(load) ? (load[index] as Load) : load,
    ),
  );
  const controller = new AbortController();
  const watched: Watched = {
    app: 'web',
    servers,
    fresh: FRESH,
    old: { release: 'old' },
    canary: traffic.canary,
    signal: controller.signal,
  };
  return { watched, servers, controller };
}

const seconds = () => (Date.now() - NOW.getTime()) / 1000;
const checkLines = () =>
  log
    .text()
    .split('\n')
    .filter((line) => line.startsWith('[canary]   '));

describe('watchStep', () => {
  it('passes once the step time is up, with a check every canary-check-seconds', async () => {
    const { watched } = watching({ 'canary-step-seconds': '30', 'canary-check-seconds': '10' }, steady(10));
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ percent: 10, cooldown: false, outcome: 'passed', seconds: 30 });
    expect(step.reason).toBeUndefined();
    expect(seconds()).toBe(30);
    // Each check judges the 10 s since the one before (each reached a verdict); the step's figures are
    // those since its hand-over.
    expect(checkLines()).toEqual([
      '[canary]   ✓ 10s: 100 requests, errors: 0%, p99: 20ms',
      '[canary]   ✓ 20s: 100 requests, errors: 0%, p99: 20ms',
      '[canary]   ✓ 30s: 100 requests, errors: 0%, p99: 20ms',
    ]);
    expect(step.fresh).toMatchObject({ requests: 300, errors: 0, p99Ms: 20 });
    expect(step.old).toMatchObject({ requests: 1500 });
    expect(step.errorSeries).toEqual([0, 0, 0]);
    expect(step.p99Series).toEqual([20, 20, 20]);
  });

  it('with checks that do not divide the step, ends at the first check past its time', async () => {
    const { watched } = watching({ 'canary-step-seconds': '25', 'canary-check-seconds': '10' }, steady(10));
    expect(await drive(watchStep(watched, 10))).toMatchObject({ outcome: 'passed', seconds: 30 });
  });

  it('fails at canary-failure-limit failing checks in a row, before the step time is up', async () => {
    const inputs = { 'canary-step-seconds': '60', 'canary-check-seconds': '5', 'canary-failure-limit': '3' };
    const { watched } = watching(inputs, steady(10, 1));
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ outcome: 'failed', seconds: 15, reason: '5xx rate 10% is above 1%' });
    expect(step.errorSeries).toEqual([0.1, 0.1, 0.1]);
  });

  it('compares with the old release over the step so far when it served too few in the judged window', async () => {
    // At a high share the old release gets 1 request a second: 10 per check, under canary-min-requests
    // (20), but 20 after two checks. The new release's p99 is 3× the old one's from the start.
    const load: Load = () => ({ fresh: { requests: 10, p99: 60 }, old: { requests: 1, p99: 20 } });
    const inputs = { 'canary-step-seconds': '60', 'canary-check-seconds': '10' };
    const { watched } = watching(inputs, load);
    const step = await drive(watchStep(watched, 90));
    // 10 s: the old release's 10 requests are too few for any comparison: only the absolute limits (pass).
    // 20 s on: compared with its 20+ requests since the step began, p99 60 ms is above 1.2× 20 ms + slack.
    expect(checkLines().slice(0, 3)).toEqual([
      '[canary]   ✓ 10s: 100 requests, errors: 0%, p99: 60ms',
      "[canary]   ✗ 20s: 100 requests, errors: 0%, p99: 60ms (p99 60ms is above 1.2× the old release's 20ms (limit 40ms))",
      "[canary]   ✗ 30s: 100 requests, errors: 0%, p99: 60ms (p99 60ms is above 1.2× the old release's 20ms (limit 40ms))",
    ]);
    expect(step).toMatchObject({ outcome: 'failed', seconds: 30 });
  });

  it('a hold between two failing checks does not forgive the first: they are in a row', async () => {
    // 10% 5xx, but no requests for the new release from 10 s to 20 s: fail, hold, fail.
    const load: Load = ({ second }) => ({
      ...(second >= 10 && second < 20 ? {} : { fresh: { requests: 10, errors: 1, p99: 20 } }),
      old: { requests: 50, p99: 20 },
    });
    const { watched } = watching({ 'canary-step-seconds': '60', 'canary-check-seconds': '10' }, load);
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ outcome: 'failed', seconds: 30, reason: '5xx rate 10% is above 1%' });
    expect(checkLines()).toEqual([
      '[canary]   ✗ 10s: 100 requests, errors: 10%, p99: 20ms (5xx rate 10% is above 1%)',
      '[canary]   … 20s: no requests (0 request(s) reached the new release, fewer than the 20 a verdict needs)',
      '[canary]   ✗ 30s: 100 requests, errors: 10%, p99: 20ms (5xx rate 10% is above 1%)',
    ]);
  });

  it('fails at twice the step time when it still fails there (the failures never in a row long enough)', async () => {
    const inputs = {
      'canary-step-seconds': '20',
      'canary-check-seconds': '10',
      'canary-failure-limit': '100',
    };
    const { watched } = watching(inputs, steady(10, 1));
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ outcome: 'failed', seconds: 40, reason: '5xx rate 10% is above 1%' });
  });

  it('waits past the step time for enough requests, and passes when they come', async () => {
    // 1 request a second: 20 (canary-min-requests) after 20 s, a step of 10 s.
    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '5' };
    const { watched } = watching(inputs, steady(1));
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ outcome: 'passed', seconds: 20, fresh: { requests: 20 } });
    // The holds do not move where the next check starts: the requests add up until there are enough.
    expect(checkLines().map((line) => line.replace(/, errors.*/, ''))).toEqual([
      '[canary]   … 5s: 5 requests',
      '[canary]   … 10s: 10 requests',
      '[canary]   … 15s: 15 requests',
      '[canary]   ✓ 20s: 20 requests',
    ]);
    expect(checkLines()[0]).toBe(
      '[canary]   … 5s: 5 requests, errors: 0%, p99: 20ms (5 request(s) reached the new release, fewer than the 20 a verdict needs)',
    );
  });

  it('after a verdict, a quiet spell adds up until there is enough for one: a 5xx early in it is judged then', async () => {
    // 10 requests a second, then from 10 s to 50 s one every other second (the first a 5xx), then 10 a
    // second again. From 10 s, 5 requests between checks: too few (canary-min-requests: 20) until 50 s.
    const load: Load = ({ second }) => {
      const old = { requests: 50, p99: 20 };
      if (second < 10 || second >= 50) return { fresh: { requests: 10, p99: 20 }, old };
      if (second % 2) return { old };
      return { fresh: { requests: 1, errors: second === 10 ? 1 : 0, p99: 20 }, old };
    };
    const { watched } = watching({ 'canary-step-seconds': '60', 'canary-check-seconds': '10' }, load);
    const step = await drive(watchStep(watched, 10));
    const few = (n: number) => `${n} request(s) reached the new release, fewer than the 20 a verdict needs`;
    expect(checkLines()).toEqual([
      '[canary]   ✓ 10s: 100 requests, errors: 0%, p99: 20ms',
      `[canary]   … 20s: 5 requests, errors: 20%, p99: 20ms (${few(5)})`,
      `[canary]   … 30s: 10 requests, errors: 10%, p99: 20ms (${few(10)})`,
      `[canary]   … 40s: 15 requests, errors: 6.67%, p99: 20ms (${few(15)})`,
      '[canary]   ✗ 50s: 20 requests, errors: 5%, p99: 20ms (5xx rate 5% is above 1%)',
      // The fail moved the start: 50 s on, not the 10 s of the last pass.
      '[canary]   ✓ 60s: 100 requests, errors: 0%, p99: 20ms',
    ]);
    // One fail, forgiven by the pass after it (canary-failure-limit: 2); the step's figures are since its
    // hand-over, the series the judged windows'.
    expect(step).toMatchObject({ outcome: 'passed', seconds: 60, fresh: { requests: 220, errors: 1 } });
    expect(step.errorSeries).toEqual([0, 0.2, 0.1, 1 / 15, 0.05, 0]);
  });

  it('once its time is up, a step whose last verdict failed goes on, and passes at the next passing check', async () => {
    // 5xx in the 10 s before the step's time is up, healthy after: the check at 30 s fails (one of
    // canary-failure-limit 2), the one at 40 s passes.
    const load: Load = ({ second }) => ({
      fresh: { requests: 10, errors: second >= 20 && second < 30 ? 1 : 0, p99: 20 },
      old: { requests: 50, p99: 20 },
    });
    const { watched } = watching({ 'canary-step-seconds': '30', 'canary-check-seconds': '10' }, load);
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ outcome: 'passed', seconds: 40 });
    expect(step.errorSeries).toEqual([0, 0, 0.1, 0]);
  });

  it('once its time is up, a hold after a failing check does not pass the step: it fails at twice its time', async () => {
    // 5xx from 20 s to 30 s, then no requests at all: the last verdict stays that fail.
    const load: Load = ({ second }) =>
      second < 30
        ? { fresh: { requests: 10, errors: second >= 20 ? 1 : 0, p99: 20 }, old: { requests: 50, p99: 20 } }
        : { old: { requests: 50, p99: 20 } };
    const { watched } = watching({ 'canary-step-seconds': '30', 'canary-check-seconds': '10' }, load);
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({ outcome: 'failed', seconds: 60, reason: '5xx rate 10% is above 1%' });
    expect(checkLines().map((line) => line.slice(11, 14))).toEqual([
      '✓ 1',
      '✓ 2',
      '✗ 3',
      '… 4',
      '… 5',
      '… 6',
    ]);
  });

  it('ends quiet at twice the step time without enough requests', async () => {
    const inputs = {
      'canary-step-seconds': '25',
      'canary-check-seconds': '10',
      'canary-min-requests': '1000',
    };
    const { watched } = watching(inputs, steady(10));
    const step = await drive(watchStep(watched, 10));
    expect(step).toMatchObject({
      outcome: 'quiet',
      seconds: 50,
      reason: '500 request(s) reached the new release, fewer than the 1000 a verdict needs',
    });
  });

  it('reads every host at each check: figures combined, and each host kept', async () => {
    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '10' };
    const loads: Load[] = [
      () => ({ fresh: { requests: 4, errors: 0, p99: 30 } }),
      () => ({ fresh: { requests: 6, errors: 0, p99: 90 }, old: { requests: 10, p99: 100 } }),
    ];
    const { watched } = watching(inputs, loads, ['deploy@a', 'deploy@b']);
    const step = await drive(watchStep(watched, 50));
    expect(step).toMatchObject({
      outcome: 'passed',
      fresh: { release: 'new', requests: 100, errors: 0, p50Ms: 45, p99Ms: 90 },
      old: { release: 'old', requests: 100, p99Ms: 100 },
      hosts: [
        { host: 'deploy@a', fresh: { requests: 40, p99Ms: 30 }, usage: [] },
        { host: 'deploy@b', fresh: { requests: 60, p99Ms: 90 }, old: { requests: 100 }, usage: [] },
      ],
    });
    expect(step.hosts[0]?.old).toBeUndefined();
  });

  it("reads the new container's use only when canary-max-cpu or canary-max-memory is set", async () => {
    const plain = watching({ 'canary-step-seconds': '10', 'canary-check-seconds': '10' }, steady(10));
    await drive(watchStep(plain.watched, 10));
    expect((plain.servers[0] as FakeServer).runtime.callsOf('usage')).toEqual([]);

    const inputs = {
      'canary-step-seconds': '20',
      'canary-check-seconds': '10',
      'canary-cooldown': '20',
      'canary-max-memory': '1g',
    };
    const { watched, servers } = watching(inputs, steady(10));
    const server = servers[0] as FakeServer;
    server.runtime.seed(FRESH.container, {}, true);
    server.runtime.usageOf.set(FRESH.container, { cpuPercent: 12.5, memoryBytes: 2 ** 29 });
    const step = await drive(watchStep(watched, 10));
    // Once a check, though the checks after a verdict read the traffic twice; and the step's hosts keep
    // it, though their figures come from the other reading.
    expect(server.runtime.callsOf('usage')).toEqual([[[FRESH.container]], [[FRESH.container]]]);
    const used = [{ name: FRESH.container, cpuPercent: 12.5, memoryBytes: 2 ** 29 }];
    expect(step).toMatchObject({
      outcome: 'passed',
      seconds: 20,
      fresh: { requests: 200 },
      hosts: [{ usage: used }],
    });
    const cooled = await drive(watchCooldown(watched, step));
    expect(cooled).toMatchObject({ outcome: 'passed', seconds: 20, hosts: [{ usage: used }] });
    expect(server.runtime.callsOf('usage')).toHaveLength(4);
  });

  it('a cancellation ends the wait at once with a CancelledError', async () => {
    const { watched, controller } = watching({}, steady(10));
    const watch = watchStep(watched, 10);
    watch.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(3000);
    controller.abort();
    await expect(drive(watch)).rejects.toThrow(CancelledError);
    expect(seconds()).toBeLessThanOrEqual(4);

    const already = watching({}, steady(10));
    already.controller.abort();
    await expect(watchStep(already.watched, 10)).rejects.toThrow(
      'the deploy was cancelled during the canary',
    );
  });
});

describe('watchCooldown', () => {
  const before: StepReport = {
    percent: 50,
    cooldown: false,
    seconds: 60,
    outcome: 'passed',
    old: { release: 'old', requests: 1000, errors: 0, p50Ms: 10, p99Ms: 20, firstAt: 0, lastAt: 1 },
    hosts: [],
    errorSeries: [],
    p99Series: [],
  };

  it('judges the cooldown on absolute limits only: the old release serves nothing then', async () => {
    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '10', 'canary-cooldown': '25' };
    // 2.5× the old release's p99 of the last step (taken at a lower load) passes: under canary-max-p99.
    const slower = watching(inputs, () => ({ fresh: { requests: 10, p99: 50 } }));
    const passed = await drive(watchCooldown(slower.watched, before));
    expect(passed).toMatchObject({ percent: 100, cooldown: true, outcome: 'passed', old: before.old });
    // Above canary-max-p99 (500 ms) fails.
    const slow = watching(inputs, () => ({ fresh: { requests: 10, p99: 600 } }));
    const cooled = await drive(watchCooldown(slow.watched, before));
    expect(cooled).toMatchObject({ outcome: 'failed', seconds: 20 });
    expect(cooled.reason).toBe('p99 600ms is above 500ms');
  });

  it('passes at the end of the cooldown, the last check cut short to fit', async () => {
    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '10', 'canary-cooldown': '25' };
    const { watched } = watching(inputs, () => ({ fresh: { requests: 10, p99: 20 } }));
    const cooled = await drive(watchCooldown(watched, before));
    expect(cooled).toMatchObject({ outcome: 'passed', seconds: 25 });
    expect(checkLines().map((line) => line.replace(/: .*/, ''))).toEqual([
      '[canary]   ✓ 10s',
      '[canary]   ✓ 20s',
      '[canary]   ✓ 25s',
    ]);
  });

  it('without requests, passes (a hold never fails)', async () => {
    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '10', 'canary-cooldown': '30' };
    const { watched } = watching(inputs, () => ({}));
    expect(await drive(watchCooldown(watched, undefined))).toMatchObject({ outcome: 'passed', seconds: 30 });
  });

  it('reads each host on from its own mark of the last check that reached a verdict (a hold moves none)', async () => {
    const inputs = { 'canary-step-seconds': '20', 'canary-check-seconds': '10', 'canary-cooldown': '60' };
    const { watched, servers } = watching(inputs, () => ({}), ['deploy@a', 'deploy@b']);
    const asked: { host: string; at: number; since?: TrafficMark }[] = [];
    servers.forEach((server, index) => {
      server.proxy.options.traffic = (_app, since) => {
        const at = seconds();
        asked.push({ host: server.label, at, ...(since ? { since } : {}) });
        // Enough requests for a verdict, but at 30 s and 40 s (5 a host: a hold).
        const requests = at === 30 || at === 40 ? 5 : 100;
        const fresh = {
          release: FRESH.release,
          requests,
          errors: 0,
          p50Ms: 10,
          p99Ms: 20,
          firstAt: 0,
          lastAt: 1,
        };
        return { releases: [fresh], mark: { offset: 1000 * index + at, at: Date.now() } };
      };
    });
    expect(await drive(watchCooldown(watched, undefined))).toMatchObject({ outcome: 'passed', seconds: 60 });
    expect(checkLines().map((line) => line.slice(11, 15))).toEqual([
      '✓ 10',
      '✓ 20',
      '… 30',
      '… 40',
      '✓ 50',
      '✓ 60',
    ]);
    const marks = (host: number) =>
      asked
        .filter((entry) => entry.host === `deploy@${'ab'[host]}`)
        .map((entry) => [entry.at, entry.since?.offset]);
    // At each check, the figures since the hand-over; then, after a verdict, the traffic since its
    // check's mark: the check at 20 s's through the holds at 30 s and 40 s, until the check at 50 s.
    expect(marks(0)).toEqual([
      [10, undefined],
      [20, undefined],
      [20, 10],
      [30, undefined],
      [30, 20],
      [40, undefined],
      [40, 20],
      [50, undefined],
      [50, 20],
      [60, undefined],
      [60, 50],
    ]);
    expect(marks(1).map(([at, offset]) => [at, offset === undefined ? undefined : offset - 1000])).toEqual(
      marks(0),
    );
    expect(marks(1)[2]).toEqual([20, 1010]);
  });
});

describe('the windows of successive checks', () => {
  /**
   * A proxy whose log grows between any two readings: each answers a mark one further on, and enough
   * requests for a verdict. Returns the marks it was asked from, in order.
   */
  function growing(server: FakeServer) {
    const since: (number | undefined)[] = [];
    server.proxy.options.traffic = (_app, mark) => {
      since.push(mark?.offset);
      const fresh = {
        release: FRESH.release,
        requests: 100,
        errors: 0,
        p50Ms: 10,
        p99Ms: 20,
        firstAt: 0,
        lastAt: 1,
      };
      return { releases: [fresh], mark: { offset: since.length, at: Date.now() } };
    };
    return since;
  }

  it("meet in a step: each check reads on from the previous check's judged reading (no request twice)", async () => {
    const { watched, servers } = watching(
      { 'canary-step-seconds': '30', 'canary-check-seconds': '10' },
      () => ({}),
    );
    const since = growing(servers[0] as FakeServer);
    expect(await drive(watchStep(watched, 10))).toMatchObject({ outcome: 'passed', seconds: 30 });
    // Per check: since the hand-over, then (once a check reached a verdict) since the mark of that
    // check's judged reading: the first check's only one (1), then the second's later one (3, not 2).
    expect(since).toEqual([undefined, undefined, 1, undefined, 3]);
  });

  it("meet in the cooldown: each check reads on from the previous check's judged reading", async () => {
    const inputs = { 'canary-step-seconds': '20', 'canary-check-seconds': '10', 'canary-cooldown': '40' };
    const { watched, servers } = watching(inputs, () => ({}));
    const since = growing(servers[0] as FakeServer);
    expect(await drive(watchCooldown(watched, undefined))).toMatchObject({ outcome: 'passed', seconds: 40 });
    expect(since).toEqual([undefined, undefined, 1, undefined, 3, undefined, 5]);
  });
});
