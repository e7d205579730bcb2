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
    expect(checkLines()).toEqual([
      '[canary]   ✓ 10s: 100 requests, errors: 0%, p99: 20ms',
      '[canary]   ✓ 20s: 200 requests, errors: 0%, p99: 20ms',
      '[canary]   ✓ 30s: 300 requests, errors: 0%, p99: 20ms',
    ]);
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
    expect(checkLines()[0]).toBe(
      '[canary]   … 5s: 5 requests, errors: 0%, p99: 20ms (5 request(s) reached the new release, fewer than the 20 a verdict needs)',
    );
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

    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '10', 'canary-max-memory': '1g' };
    const { watched, servers } = watching(inputs, steady(10));
    const server = servers[0] as FakeServer;
    server.runtime.seed(FRESH.container, {}, true);
    server.runtime.usageOf.set(FRESH.container, { cpuPercent: 12.5, memoryBytes: 2 ** 29 });
    const step = await drive(watchStep(watched, 10));
    expect(server.runtime.callsOf('usage')).toEqual([[[FRESH.container]]]);
    expect(step).toMatchObject({
      outcome: 'passed',
      hosts: [{ usage: [{ name: FRESH.container, cpuPercent: 12.5, memoryBytes: 2 ** 29 }] }],
    });
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

  it('watches canary-cooldown seconds and compares with the old release of the last step', async () => {
    const inputs = { 'canary-step-seconds': '10', 'canary-check-seconds': '10', 'canary-cooldown': '25' };
    // The new release as slow as 1.5× the old release's p99 of the last step (and beyond the slack).
    const { watched } = watching(inputs, () => ({ fresh: { requests: 10, p99: 50 } }));
    const cooled = await drive(watchCooldown(watched, before));
    expect(cooled).toMatchObject({
      percent: 100,
      cooldown: true,
      outcome: 'failed',
      seconds: 20,
      old: before.old,
    });
    expect(cooled.reason).toBe("p99 50ms is above 1.2× the old release's 20ms (limit 40ms)");
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

  it('reads each host from its own mark of canary-step-seconds ago (a sliding window)', async () => {
    const inputs = { 'canary-step-seconds': '20', 'canary-check-seconds': '10', 'canary-cooldown': '50' };
    const { watched, servers } = watching(inputs, () => ({}), ['deploy@a', 'deploy@b']);
    const asked: { host: string; at: number; since?: TrafficMark }[] = [];
    servers.forEach((server, index) => {
      server.proxy.options.traffic = (_app, since) => {
        const at = seconds();
        asked.push({ host: server.label, at, ...(since ? { since } : {}) });
        return { releases: [], mark: { offset: 1000 * index + at, at: Date.now() } };
      };
    });
    await drive(watchCooldown(watched, undefined));
    const marks = (host: number) =>
      asked
        .filter((entry) => entry.host === `deploy@${'ab'[host]}`)
        .map((entry) => [entry.at, entry.since?.offset]);
    // Until 20 s have passed, since the hand-over; then from the check 20 s (or more) before.
    expect(marks(0)).toEqual([
      [10, undefined],
      [20, undefined],
      [30, 10],
      [40, 20],
      [50, 30],
    ]);
    expect(marks(1)).toEqual([
      [10, undefined],
      [20, undefined],
      [30, 1010],
      [40, 1020],
      [50, 1030],
    ]);
  });
});
