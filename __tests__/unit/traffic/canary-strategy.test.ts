import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, findCause } from '../../../src/errors';
import { discardContainer, startContainer } from '../../../src/lifecycle/containers';
import { phaseTimer } from '../../../src/log';
import type { Route } from '../../../src/model/route';
import type { Proxy } from '../../../src/proxy';
import { planDeploy } from '../../../src/plan/deploy';
import type { Launch } from '../../../src/traffic';
import type { DeploymentRef } from '../../../src/traffic/types';
import { canary } from '../../../src/traffic/canary';
import { judgeStep } from '../../../src/traffic/canary/analysis';
import { CanaryRolledBack, renderCanaryTable } from '../../../src/traffic/canary/report';
import { CONTEXT } from '../support';
import { drive, healthy, type Load, scriptTraffic } from '../support/canary';
import {
  captureLog,
  expectNoStrayCommands,
  type FakeServer,
  fakeServer,
  releaseRecord,
  seedRelease,
  type ServerOptions,
  testConfig,
} from '../support/fakes';

// The canary waits with node:timers/promises, which vitest's fake timers do not replace: the global timers do.
vi.mock('node:timers/promises', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:timers/promises')>()),
  ...(await import('../support/timers')),
}));

const NOW = new Date('2024-03-05T14:07:09.123Z');
const OLD = releaseRecord('20240301-100000-aaaaaaa', 'done');

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

interface Setup {
  /** Settings beside skip-canary: false. */
  inputs?: Record<string, string>;
  /** Server labels and their options; one server by default. */
  hosts?: Record<string, ServerOptions>;
  /** Each server's traffic; `healthy` by default. */
  load?: Load | Record<string, Load>;
  /** Whether the servers serve OLD (seeded as current) already. */
  serving?: boolean;
  handingOver?: () => void;
  /** The run's GitHub deployment (none by default). */
  deployment?: DeploymentRef;
}

/** Servers serving OLD, the canary rolling a new release out to them, its traffic scripted by `load`. */
function setup({
  inputs = {},
  hosts = { 'deploy@a': {} },
  load = healthy,
  serving = true,
  handingOver,
  deployment,
}: Setup = {}) {
  const plan = planDeploy(testConfig({ 'skip-canary': 'false', ...inputs }), CONTEXT, NOW);
  const servers = Object.entries(hosts).map(([label, options]) => fakeServer(label, options));
  for (const server of servers) {
    seedRelease(server, plan.appDir, OLD, serving);
    const hostLoad = typeof load === 'function' ? load : (load[server.label] ?? healthy);
    scriptTraffic(server, { fresh: plan.release, old: OLD.id }, hostLoad);
  }
  const before = servers.map((server) => structuredClone(server.proxy.live.get('web')) as Route);
  const controller = new AbortController();
  const ports = new Map<string, number>();
  const launch = {
    verb: 'started',
    start: vi.fn(async (server: FakeServer) => {
      const started = await startContainer(server, plan);
      ports.set(server.label, started.port);
      return started;
    }),
    discard: vi.fn((server: FakeServer) => discardContainer(server, plan)),
    handingOver: vi.fn(handingOver ?? (() => undefined)),
    signal: controller.signal,
  } satisfies Launch;
  const progress = vi.fn(async (_description: string) => undefined);
  const { timed, phases } = phaseTimer();
  const rollout = () =>
    canary.roll({ plan, image: plan.image, servers, timed, launch, progress, deployment: () => deployment });
  const roll = () => drive(rollout());
  /** The deploy's error, and the CanaryRolledBack in it. */
  const rollBack = async () => {
    const error = await roll().then(
      () => expect.unreachable('the canary was expected to roll back'),
      (caught: unknown) => caught,
    );
    const rolledBack = findCause(error, CanaryRolledBack);
    expect(rolledBack, String(error)).toBeDefined();
    return { error, rolledBack: rolledBack as CanaryRolledBack };
  };
  /** The new container's port on the server (kept: a rollback removes the container). */
  const newPort = (server: FakeServer) => ports.get(server.label) as number;
  const oldPort = (server: FakeServer) => server.runtime.containers.get(OLD.container)?.port as number;
  /** The route with `percent` of the traffic on the new release, as the canary stages it. */
  const routeAt = (server: FakeServer, percent: number, port = newPort(server)): Route =>
    percent === 100
      ? { ...plan.route, upstreams: [{ port, weight: 1 }] }
      : {
          ...plan.route,
          upstreams: [
            { port: oldPort(server), weight: 100 - percent, release: OLD.id },
            { port, weight: percent },
          ],
        };
  const seconds = () => (Date.now() - NOW.getTime()) / 1000;
  return {
    plan,
    servers,
    before,
    controller,
    launch,
    progress,
    phases,
    rollout,
    roll,
    rollBack,
    newPort,
    routeAt,
    seconds,
  };
}

/** The canary's own log lines, without the prefix. */
function canaryLines(): string[] {
  return log
    .text()
    .split('\n')
    .filter((line) => line.includes('[canary]'))
    .map((line) => line.replace(/^.*\[canary\] ?/, ''));
}

const OTHER = releaseRecord('20240302-100000-bbbbbbb', 'done');

/** 5xx on `errors` of every `requests` the new release gets at `percent`, healthy otherwise. */
const failingAt =
  (at: number, errors: number): Load =>
  (now) =>
    now.percent === at ? { ...healthy(now), fresh: { requests: at, errors, p99: 20 } } : healthy(now);

describe('canary: whether it runs', () => {
  it('on a first deploy (no release serves yet) moves all traffic at once: nothing to compare with', async () => {
    const { servers, launch, phases, roll, routeAt } = setup({ serving: false });
    const [server] = servers as [FakeServer];
    const rolled = await roll();
    expect(server.proxy.calls).toEqual([
      { op: 'stage', route: routeAt(server, 100) },
      { op: 'commit', route: routeAt(server, 100) },
    ]);
    expect(rolled.canary).toBeUndefined();
    expect(canaryLines()).toEqual([
      'no release serves web on deploy@a yet: nothing to compare with; all traffic moves at once',
    ]);
    expect(launch.handingOver).toHaveBeenCalledExactlyOnceWith();
    expect(phases.map((phase) => phase.name)).toEqual(['Start', 'Checks', 'Hand-over']);
  });

  it('moves all traffic at once when one host of several serves nothing yet', async () => {
    const { plan, servers, roll, routeAt } = setup({ hosts: { 'deploy@a': {}, 'deploy@b': {} } });
    const [a, b] = servers as [FakeServer, FakeServer];
    b.proxy.live.delete(plan.app);
    expect((await roll()).canary).toBeUndefined();
    expect(canaryLines()).toEqual([
      'no release serves web on deploy@b yet: nothing to compare with; all traffic moves at once',
    ]);
    for (const server of [a, b]) expect(server.proxy.live.get('web')).toEqual(routeAt(server, 100));
  });

  it('moves all traffic at once when the hosts serve different releases', async () => {
    const { plan, servers, roll } = setup({ hosts: { 'deploy@a': {}, 'deploy@b': {} } });
    const b = servers[1] as FakeServer;
    seedRelease(b, plan.appDir, OTHER, true);
    expect((await roll()).canary).toBeUndefined();
    expect(canaryLines()).toEqual([
      `the hosts serve different releases (${OLD.id}, ${OTHER.id}); all traffic moves at once`,
    ]);
  });

  it('with skip-canary true, the plan moves traffic at once and the canary says nothing', async () => {
    const { servers, roll, routeAt } = setup({ inputs: { 'skip-canary': 'true' } });
    const [server] = servers as [FakeServer];
    expect((await roll()).canary).toBeUndefined();
    expect(server.proxy.ops()).toEqual(['stage', 'commit']);
    expect(server.proxy.live.get('web')).toEqual(routeAt(server, 100));
    expect(canaryLines()).toEqual([]);
  });
});

describe('canary: steps', () => {
  it('moves traffic 10, 25, 50, then 100% (stage, commit), watching each step, then cools down at 100%', async () => {
    const { plan, servers, launch, progress, phases, roll, routeAt, seconds } = setup();
    const [server] = servers as [FakeServer];
    const rolled = await roll();
    expect(server.proxy.calls).toEqual(
      [10, 25, 50, 100].flatMap((percent) => [
        { op: 'stage', route: routeAt(server, percent) },
        { op: 'commit', route: routeAt(server, percent) },
      ]),
    );
    expect(routeAt(server, 25).upstreams).toEqual([
      { port: server.runtime.containers.get(OLD.container)?.port, weight: 75, release: OLD.id },
      { port: server.runtime.containers.get(plan.container.name)?.port, weight: 25 },
    ]);
    expect(server.proxy.live.get('web')).toEqual(routeAt(server, 100));
    // Nothing drained, nothing stopped: the old release retires after the canary, as after any hand-over.
    expect(server.proxy.drains).toEqual([]);
    expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    expect(server.runtime.callsOf('usage')).toEqual([]);
    expect(launch.handingOver).toHaveBeenCalledExactlyOnceWith({ reversible: true });
    expect(launch.discard).not.toHaveBeenCalled();
    expect(phases.map((phase) => phase.name)).toEqual(['Start', 'Checks', 'Canary']);
    // Three steps of 60 s, then the 300 s cooldown.
    expect(seconds()).toBe(3 * 60 + 300);

    const lines = canaryLines();
    const release = plan.release;
    expect(lines.filter((line) => !line.startsWith('  '))).toEqual([
      `Step 1/4: routing 10% traffic → ${release}`,
      'Metrics OK after 60s (600 requests, errors: 0%, p99: 20ms)',
      `Step 2/4: routing 25% traffic → ${release}`,
      'Metrics OK after 60s (1500 requests, errors: 0%, p99: 20ms)',
      `Step 3/4: routing 50% traffic → ${release}`,
      'Metrics OK after 60s (3000 requests, errors: 0%, p99: 20ms)',
      `Step 4/4: routing 100% traffic → ${release}`,
      `Cooldown: watching ${release} at 100% for 300s; ${OLD.id} keeps running for an instant rollback`,
      'Cooldown passed after 300s (30000 requests, errors: 0%, p99: 20ms)',
      '✓ Deployment complete',
    ]);
    // A line per check: every 10 s, the traffic since the check before (each reached a verdict): 10 s of
    // 10 requests a second, while the step's figures above are those since its hand-over.
    expect(lines.slice(1, 7)).toEqual(
      [10, 20, 30, 40, 50, 60].map((s) => `  ✓ ${s}s: 100 requests, errors: 0%, p99: 20ms`),
    );
    expect(lines.filter((line) => line.startsWith('  ✓'))).toHaveLength(3 * 6 + 30);
    // In the cooldown too: each check 10 s of all the traffic.
    const cooling = lines.findIndex((line) => line.startsWith('Cooldown: watching'));
    expect(lines.slice(cooling + 1, -2)).toEqual(
      Array.from({ length: 30 }, (_, i) => `  ✓ ${(i + 1) * 10}s: 1000 requests, errors: 0%, p99: 20ms`),
    );
    expect(progress.mock.calls.map(([description]) => description)).toEqual([
      `Canary Step 1/4: routing 10% traffic → ${release}`,
      `Canary Step 2/4: routing 25% traffic → ${release}`,
      `Canary Step 3/4: routing 50% traffic → ${release}`,
      `Canary Step 4/4: routing 100% traffic → ${release}`,
      `Canary cooldown: watching ${release} at 100% for 300s`,
    ]);

    expect(rolled.checks.map((result) => [result.check.name, result.ok])).toEqual([['ready', true]]);
    const report = rolled.canary;
    expect(report).toMatchObject({ release, old: OLD.id });
    expect(report?.rolledBack).toBeUndefined();
    expect(
      report?.steps.map(({ percent, cooldown, seconds: s, outcome }) => ({ percent, cooldown, s, outcome })),
    ).toEqual([
      { percent: 10, cooldown: false, s: 60, outcome: 'passed' },
      { percent: 25, cooldown: false, s: 60, outcome: 'passed' },
      { percent: 50, cooldown: false, s: 60, outcome: 'passed' },
      { percent: 100, cooldown: true, s: 300, outcome: 'passed' },
    ]);
    expect(report?.steps[0]).toMatchObject({
      fresh: { release, requests: 600, errors: 0, p99Ms: 20 },
      old: { release: OLD.id, requests: 5400, errors: 0, p99Ms: 20 },
      hosts: [{ host: 'deploy@a', fresh: { requests: 600 }, old: { requests: 5400 }, usage: [] }],
      errorSeries: [0, 0, 0, 0, 0, 0],
      p99Series: [20, 20, 20, 20, 20, 20],
    });
    // The cooldown's figures are those since the hand-over to 100%, compared with the old release's
    // figures of the last step.
    expect(report?.steps[3]).toMatchObject({ fresh: { requests: 30000 }, old: { requests: 3000 } });
    expect(report?.steps[3]?.errorSeries).toEqual(Array.from({ length: 30 }, () => 0));
  });

  it('takes other steps, step times and no cooldown', async () => {
    const inputs = {
      'canary-steps': '20 60',
      'canary-step-seconds': '5',
      'canary-check-seconds': '5',
      'canary-cooldown': '0',
    };
    const { servers, roll, routeAt, seconds } = setup({ inputs });
    const [server] = servers as [FakeServer];
    const rolled = await roll();
    expect(server.proxy.calls.map((call) => 'route' in call && call.route)).toEqual(
      [20, 60, 100].flatMap((percent) => [routeAt(server, percent), routeAt(server, percent)]),
    );
    expect(seconds()).toBe(10);
    expect(rolled.canary?.steps.map((step) => [step.percent, step.seconds, step.outcome])).toEqual([
      [20, 5, 'passed'],
      [60, 5, 'passed'],
    ]);
    expect(canaryLines().filter((line) => line.startsWith('Step') || line.startsWith('Cooldown'))).toEqual([
      expect.stringMatching(/^Step 1\/3: routing 20% /),
      expect.stringMatching(/^Step 2\/3: routing 60% /),
      expect.stringMatching(/^Step 3\/3: routing 100% /),
    ]);
  });

  it('a step waits for requests: a verdict once the step time is up and enough arrived', async () => {
    // 1 request a second at 10%: 20 (canary-min-requests) after 20 s. A check 10 s after a verdict has
    // too few: it holds, and the next judges the 20 s since that verdict.
    const load: Load = (now) =>
      now.percent === 10 ? { ...healthy(now), fresh: { requests: 1, p99: 20 } } : healthy(now);
    const { roll } = setup({ load, inputs: { 'canary-cooldown': '0' } });
    const rolled = await roll();
    const few = '10 request(s) reached the new release, fewer than the 20 a verdict needs';
    expect(canaryLines().slice(1, 7)).toEqual([
      `  … 10s: 10 requests, errors: 0%, p99: 20ms (${few})`,
      '  ✓ 20s: 20 requests, errors: 0%, p99: 20ms',
      `  … 30s: 10 requests, errors: 0%, p99: 20ms (${few})`,
      '  ✓ 40s: 20 requests, errors: 0%, p99: 20ms',
      `  … 50s: 10 requests, errors: 0%, p99: 20ms (${few})`,
      '  ✓ 60s: 20 requests, errors: 0%, p99: 20ms',
    ]);
    expect(rolled.canary?.steps[0]).toMatchObject({
      outcome: 'passed',
      seconds: 60,
      fresh: { requests: 60 },
    });
    // Healthy 25%: 250 requests between checks, judged on their own.
    expect(canaryLines()).toContain('  ✓ 20s: 250 requests, errors: 0%, p99: 20ms');
  });

  it('a throw from handingOver stops the release before any commit: new containers and staged routes go', async () => {
    const cancelled = new CancelledError('the deploy was cancelled before the hand-over');
    const { plan, servers, before, launch, roll } = setup({
      hosts: { 'deploy@a': {}, 'deploy@b': {} },
      handingOver: () => {
        throw cancelled;
      },
    });
    await expect(roll()).rejects.toBe(cancelled);
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.ops()).toEqual(['stage', 'discard']);
      expect(server.proxy.staged.size).toBe(0);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
      expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    }
    expect(launch.discard).toHaveBeenCalledTimes(2);
  });
});

describe('canary: rolling back', () => {
  it('a step with 5xx fails after canary-failure-limit checks: traffic goes back, the new container goes', async () => {
    const { plan, servers, before, launch, rollBack, routeAt, seconds } = setup({ load: failingAt(25, 5) });
    const [server] = servers as [FakeServer];
    const { error, rolledBack } = await rollBack();
    const why = 'step 2 (25%): 5xx rate 20% is above 1%';
    expect(rolledBack.kind).toBe('thresholds');
    expect(rolledBack.reason).toBe(why);
    expect(rolledBack.message).toBe(`rolled back to ${OLD.id}: ${why}`);
    expect(String(error)).toContain(`Canary failed: rolled back to ${OLD.id}: ${why}`);
    // Two failing checks in a row (10 s and 20 s into the second step).
    expect(seconds()).toBe(60 + 20);
    // Back to the old release by reverting the first step's staged route: what was live before the canary.
    expect(server.proxy.calls).toEqual([
      { op: 'stage', route: routeAt(server, 10) },
      { op: 'commit', route: routeAt(server, 10) },
      { op: 'stage', route: routeAt(server, 25) },
      { op: 'commit', route: routeAt(server, 25) },
      { op: 'revert', route: routeAt(server, 10) },
      { op: 'discard', app: 'web' },
    ]);
    expect(server.proxy.live.get('web')).toEqual(before[0]);
    expect(server.proxy.drains).toEqual([{ app: 'web', boundSeconds: 60 }]);
    expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    expect(launch.discard).toHaveBeenCalledTimes(1);

    const { report } = rolledBack;
    expect(report.rolledBack).toBe(why);
    expect(report.steps.map((step) => [step.percent, step.outcome, step.seconds])).toEqual([
      [10, 'passed', 60],
      [25, 'failed', 20],
    ]);
    expect(report.steps[1]).toMatchObject({
      reason: '5xx rate 20% is above 1%',
      fresh: { requests: 500, errors: 100 },
      old: { requests: 1500, errors: 0 },
      errorSeries: [0.2, 0.2],
      p99Series: [20, 20],
    });
    expect(renderCanaryTable(report)).toContain(
      '| 25% | 20s | 500 req, 20.00% 5xx, p99 20 ms | 1500 req, 0.00% 5xx, p99 20 ms |  | ██ / ██ | ❌ rolled back: 5xx rate 20% is above 1% |',
    );
    const lines = canaryLines();
    expect(lines).toContain('  ✗ 10s: 250 requests, errors: 20%, p99: 20ms (5xx rate 20% is above 1%)');
    expect(lines.at(-1)).toBe(`✗ ${why}: sending all traffic back to the previous release`);
    expect(log.text()).toContain(
      `took ${plan.container.name} down on deploy@a; the previous release keeps serving`,
    );
  });

  it('one failing check is forgiven when the next passes (canary-failure-limit: 2 in a row)', async () => {
    // Two 5xx in the step's first second and two more 25 s in: 2% at the first and the third check, none
    // at the others.
    const load: Load = (now) =>
      now.percent === 10 && [0, 25].includes(now.second)
        ? { ...healthy(now), fresh: { requests: 10, errors: 2, p99: 20 } }
        : healthy(now);
    const { roll } = setup({ load, inputs: { 'canary-cooldown': '0', 'canary-steps': '10' } });
    const rolled = await roll();
    expect(canaryLines().slice(1, 5)).toEqual([
      '  ✗ 10s: 100 requests, errors: 2%, p99: 20ms (5xx rate 2% is above 1%)',
      '  ✓ 20s: 100 requests, errors: 0%, p99: 20ms',
      '  ✗ 30s: 100 requests, errors: 2%, p99: 20ms (5xx rate 2% is above 1%)',
      '  ✓ 40s: 100 requests, errors: 0%, p99: 20ms',
    ]);
    expect(rolled.canary?.rolledBack).toBeUndefined();
    expect(rolled.canary?.steps[0]).toMatchObject({
      outcome: 'passed',
      seconds: 60,
      fresh: { requests: 600, errors: 4 },
      errorSeries: [0.02, 0, 0.02, 0, 0, 0],
    });
  });

  it.each([
    [
      'slow',
      { requests: 10, p99: 200 },
      "p99 200ms is above 1.2× the old release's 20ms (limit 40ms)",
      '100 requests, errors: 0%, p99: 200ms',
      { p99Series: [20, 20, 200, 20, 20, 20], errorSeries: [0, 0, 0, 0, 0, 0] },
      { requests: 600, errors: 0, p99Ms: 200 },
    ],
    [
      '5xx',
      { requests: 10, errors: 2, p99: 20 },
      '5xx rate 12% is above 1%',
      '100 requests, errors: 12%, p99: 20ms',
      { p99Series: [20, 20, 20, 20, 20, 20], errorSeries: [0, 0, 0.12, 0, 0, 0] },
      { requests: 600, errors: 12, p99Ms: 20 },
    ],
  ])(
    'a %s burst fails only the check whose interval it falls in: the step passes when the next checks are healthy',
    async (_kind, burst, why, figures, series, stepFresh) => {
      // At 10%, the burst from 22 s to 27 s into the step (the old release: 20 ms and no 5xx).
      const load: Load = (now) =>
        now.percent === 10 && now.second >= 22 && now.second <= 27
          ? { ...healthy(now), fresh: burst }
          : healthy(now);
      const inputs = { 'canary-steps': '10', 'canary-cooldown': '0', 'canary-failure-limit': '2' };
      const { roll } = setup({ load, inputs });
      const rolled = await roll();
      expect(canaryLines().slice(1, 7)).toEqual([
        '  ✓ 10s: 100 requests, errors: 0%, p99: 20ms',
        '  ✓ 20s: 100 requests, errors: 0%, p99: 20ms',
        `  ✗ 30s: ${figures} (${why})`,
        '  ✓ 40s: 100 requests, errors: 0%, p99: 20ms',
        '  ✓ 50s: 100 requests, errors: 0%, p99: 20ms',
        '  ✓ 60s: 100 requests, errors: 0%, p99: 20ms',
      ]);
      expect(rolled.canary?.rolledBack).toBeUndefined();
      const step = rolled.canary?.steps[0];
      expect(step).toMatchObject({ percent: 10, outcome: 'passed', seconds: 60, ...series });
      expect(canaryLines().at(-1)).toBe('✓ Deployment complete');
      // The step's figures (since its hand-over) keep the burst: judged over them, the checks at 30 s
      // and 40 s would both have failed, two in a row, and traffic would have gone back.
      expect(step?.fresh).toMatchObject(stepFresh);
      expect(judgeStep(step?.fresh, step?.old)).toMatchObject({ kind: 'fail' });
    },
  );

  it('a step slower than the old release fails (p99 above 1.2× the old one)', async () => {
    const load: Load = (now) =>
      now.percent === 10 ? { ...healthy(now), fresh: { requests: 10, p99: 200 } } : healthy(now);
    const { rollBack } = setup({ load, inputs: { 'canary-steps': '10' } });
    const { rolledBack } = await rollBack();
    expect(rolledBack.reason).toBe(
      "step 1 (10%): p99 200ms is above 1.2× the old release's 20ms (limit 40ms)",
    );
  });

  it('a quiet step (too few requests) is promoted with a warning after twice its time (canary-on-quiet: promote)', async () => {
    const quietAt10: Load = (now) => (now.percent === 10 ? { old: { requests: 90 } } : healthy(now));
    const { roll, seconds } = setup({ load: quietAt10, inputs: { 'canary-cooldown': '0' } });
    const rolled = await roll();
    const why = '0 request(s) reached the new release, fewer than the 20 a verdict needs';
    expect(rolled.canary?.steps.map((step) => [step.percent, step.outcome, step.seconds])).toEqual([
      [10, 'quiet', 120],
      [25, 'passed', 60],
      [50, 'passed', 60],
    ]);
    expect(rolled.canary?.steps[0]?.reason).toBe(why);
    expect(seconds()).toBe(120 + 60 + 60);
    // (@actions/core escapes % in a workflow command.)
    expect(log.text()).toContain(
      `::warning::[canary] step 1 (10%25) promoted without a verdict: ${why} (canary-on-quiet: promote)`,
    );
    expect(canaryLines()).toContain(`  … 120s: no requests (${why})`);
    expect(canaryLines().at(-1)).toBe('✓ Deployment complete');
  });

  it('a quiet step rolls back with canary-on-quiet: fail', async () => {
    const quietAt10: Load = (now) => (now.percent === 10 ? { old: { requests: 90 } } : healthy(now));
    const { servers, before, rollBack, routeAt, seconds } = setup({
      load: quietAt10,
      inputs: { 'canary-on-quiet': 'fail' },
    });
    const [server] = servers as [FakeServer];
    const { rolledBack } = await rollBack();
    expect(rolledBack.kind).toBe('thresholds');
    expect(rolledBack.reason).toBe(
      'step 1 (10%): 0 request(s) reached the new release, fewer than the 20 a verdict needs',
    );
    expect(rolledBack.report.steps.map((step) => [step.percent, step.outcome, step.seconds])).toEqual([
      [10, 'quiet', 120],
    ]);
    expect(seconds()).toBe(120);
    expect(server.proxy.ops()).toEqual(['stage', 'commit', 'revert', 'discard']);
    expect(server.proxy.calls[2]).toEqual({ op: 'revert', route: routeAt(server, 10) });
    expect(server.proxy.live.get('web')).toEqual(before[0]);
    expect(log.text()).not.toContain('::warning::');
  });

  it('the cooldown judges each check on its own interval: a fault late in it rolls back (the healthy start does not dilute it)', async () => {
    // At 100%, 5% 5xx from 280 s on: 5% at the checks at 290 s and 300 s, two failing checks in a row.
    // Over the whole cooldown that is 100 in 30000, 0.33%: within the limits (and 0.33 points above the
    // old release's 0%, within its 0.5).
    const lateFault: Load = (now) =>
      now.percent === 100 && now.second >= 280
        ? { fresh: { requests: 100, errors: 5, p99: 20 } }
        : healthy(now);
    const { plan, servers, before, rollBack, routeAt, seconds } = setup({ load: lateFault });
    const [server] = servers as [FakeServer];
    const { rolledBack } = await rollBack();
    expect(rolledBack.kind).toBe('thresholds');
    expect(rolledBack.reason).toBe('cooldown: 5xx rate 5% is above 1%');
    expect(seconds()).toBe(3 * 60 + 300);
    const cooled = rolledBack.report.steps.at(-1);
    expect(cooled).toMatchObject({ percent: 100, cooldown: true, outcome: 'failed', seconds: 300 });
    expect(cooled?.fresh).toMatchObject({ requests: 30000, errors: 100 });
    expect(cooled?.old).toMatchObject({ requests: 3000, errors: 0 });
    expect(judgeStep(cooled?.fresh, cooled?.old)).toMatchObject({ kind: 'pass' });
    expect(cooled?.errorSeries).toEqual([...Array.from({ length: 28 }, () => 0), 0.05, 0.05]);
    expect(canaryLines().slice(-4)).toEqual([
      '  ✓ 280s: 1000 requests, errors: 0%, p99: 20ms',
      '  ✗ 290s: 1000 requests, errors: 5%, p99: 20ms (5xx rate 5% is above 1%)',
      '  ✗ 300s: 1000 requests, errors: 5%, p99: 20ms (5xx rate 5% is above 1%)',
      '✗ cooldown: 5xx rate 5% is above 1%: sending all traffic back to the previous release',
    ]);
    expect(server.proxy.ops().slice(-3)).toEqual(['commit', 'revert', 'discard']);
    expect(server.proxy.calls.at(-2)).toEqual({ op: 'revert', route: routeAt(server, 10) });
    expect(server.proxy.live.get('web')).toEqual(before[0]);
    expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
  });

  it('a cancelled run (the launch signal) rolls back at once, draining briefly', async () => {
    const { plan, servers, before, controller, rollout, routeAt, seconds } = setup();
    const [server] = servers as [FakeServer];
    const work = rollout();
    work.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(95_000);
    controller.abort();
    const error = await drive(work).catch((caught: unknown) => caught);
    // At once: no more checks, no waiting out the step.
    expect(seconds()).toBeLessThanOrEqual(96);
    const rolledBack = findCause(error, CanaryRolledBack) as CanaryRolledBack;
    expect(rolledBack.kind).toBe('cancelled');
    expect(rolledBack.reason).toBe('the run was cancelled');
    expect(findCause(error, CancelledError)).toBeDefined();
    expect(rolledBack.report.rolledBack).toBe('the run was cancelled');
    expect(rolledBack.report.steps.map((step) => [step.percent, step.outcome])).toEqual([
      [10, 'passed'],
      [25, 'cancelled'],
    ]);
    expect(server.proxy.calls.slice(-2)).toEqual([
      { op: 'revert', route: routeAt(server, 10) },
      { op: 'discard', app: 'web' },
    ]);
    expect(server.proxy.live.get('web')).toEqual(before[0]);
    expect(server.proxy.drains).toEqual([{ app: 'web', boundSeconds: 2 }]);
    expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    expect(canaryLines().at(-1)).toBe(
      '✗ the run was cancelled: sending all traffic back to the previous release',
    );
  });

  it('a run cancelled during the cooldown rolls back too', async () => {
    const { servers, before, controller, rollout } = setup();
    const work = rollout();
    work.catch(() => undefined);
    await vi.advanceTimersByTimeAsync((180 + 100) * 1000);
    controller.abort();
    const error = await drive(work).catch((caught: unknown) => caught);
    const rolledBack = findCause(error, CanaryRolledBack) as CanaryRolledBack;
    expect(rolledBack.kind).toBe('cancelled');
    expect(rolledBack.report.steps.at(-1)).toMatchObject({
      percent: 100,
      cooldown: true,
      outcome: 'cancelled',
    });
    expect(servers[0]?.proxy.live.get('web')).toEqual(before[0]);
  });

  it.each([
    ['canary-max-cpu', '150', { cpuPercent: 180, memoryBytes: 2 ** 20 }, 'uses 180.0% CPU, above 150%'],
    [
      'canary-max-memory',
      '256m',
      { cpuPercent: 1, memoryBytes: 300 * 2 ** 20 },
      'uses 300.0 MiB of memory, above 256.0 MiB',
    ],
  ])('a new container over %s fails the step whatever its traffic', async (input, value, usage, why) => {
    const { plan, servers, before, rollBack } = setup({ inputs: { [input]: value } });
    const [server] = servers as [FakeServer];
    server.runtime.usageOf.set(plan.container.name, usage);
    const { rolledBack } = await rollBack();
    expect(rolledBack.kind).toBe('thresholds');
    expect(rolledBack.reason).toBe(`step 1 (10%): ${plan.container.name} ${why}`);
    // Once a check (with the judged reading), and kept in the step's hosts for the report.
    expect(server.runtime.callsOf('usage')).toEqual([[[plan.container.name]], [[plan.container.name]]]);
    expect(rolledBack.report.steps[0]?.hosts[0]?.usage).toEqual([{ name: plan.container.name, ...usage }]);
    expect(canaryLines()).toContain(
      `  ✗ 10s: 100 requests, errors: 0%, p99: 20ms (${plan.container.name} ${why})`,
    );
    expect(server.proxy.live.get('web')).toEqual(before[0]);
  });

  it('a proxy that keeps no figures rolls back at the first check (kind error)', async () => {
    const { plan, servers, before, rollBack } = setup();
    const [server] = servers as [FakeServer];
    server.proxy.options.traffic = undefined;
    const { rolledBack } = await rollBack();
    const why = 'deploy@a: fake-proxy keeps no per-release figures for a canary to judge';
    expect(rolledBack.kind).toBe('error');
    expect(rolledBack.reason).toBe(why);
    expect(rolledBack.report.steps).toEqual([
      {
        percent: 10,
        cooldown: false,
        seconds: 0,
        outcome: 'failed',
        hosts: [],
        errorSeries: [],
        p99Series: [],
      },
    ]);
    expect(server.proxy.ops()).toEqual(['stage', 'commit', 'revert', 'discard']);
    expect(server.proxy.live.get('web')).toEqual(before[0]);
    expect(server.runtime.containers.has(plan.container.name)).toBe(false);
  });
});

describe('canary: several hosts', () => {
  it('judges the hosts together (requests summed, the highest p99) and keeps each host in the report', async () => {
    const load = {
      'deploy@a': () => ({ fresh: { requests: 2, p99: 30 }, old: { requests: 2, p99: 25 } }),
      'deploy@b': () => ({ fresh: { requests: 3, errors: 0, p99: 80 }, old: { requests: 3, p99: 70 } }),
    };
    const { servers, roll, routeAt } = setup({
      hosts: { 'deploy@a': {}, 'deploy@b': {} },
      load,
      inputs: { 'canary-steps': '50', 'canary-cooldown': '0' },
    });
    const rolled = await roll();
    for (const server of servers)
      expect(server.proxy.calls.map((call) => call.op === 'commit' && call.route)).toEqual([
        false,
        routeAt(server, 50),
        false,
        routeAt(server, 100),
      ]);
    expect(canaryLines()[1]).toBe('  ✓ 10s: 50 requests, errors: 0%, p99: 80ms');
    const step = rolled.canary?.steps[0];
    expect(step).toMatchObject({
      outcome: 'passed',
      fresh: { requests: 300, errors: 0, p50Ms: 40, p99Ms: 80 },
      old: { requests: 300, p99Ms: 70 },
      hosts: [
        { host: 'deploy@a', fresh: { requests: 120, p99Ms: 30 }, old: { requests: 120, p99Ms: 25 } },
        { host: 'deploy@b', fresh: { requests: 180, p99Ms: 80 }, old: { requests: 180, p99Ms: 70 } },
      ],
    });
    const table = renderCanaryTable(rolled.canary as NonNullable<typeof rolled.canary>);
    expect(table).toContain('| 50% | 60s | 300 req, 0.00% 5xx, p99 80 ms | 300 req, 0.00% 5xx, p99 70 ms |');
    expect(table).toContain(
      '| ↳ deploy@a | | 120 req, 0.00% 5xx, p99 30 ms | 120 req, 0.00% 5xx, p99 25 ms |  | | |',
    );
    expect(table).toContain(
      '| ↳ deploy@b | | 180 req, 0.00% 5xx, p99 80 ms | 180 req, 0.00% 5xx, p99 70 ms |  | | |',
    );
  });

  it("one host's 5xx fail the step for all: every host goes back", async () => {
    const { plan, servers, before, rollBack } = setup({
      hosts: { 'deploy@a': {}, 'deploy@b': {} },
      load: { 'deploy@b': failingAt(10, 2) },
    });
    const { rolledBack } = await rollBack();
    // a: 100 requests, b: 100 with 20 5xx in 10 s: 10% of both.
    expect(rolledBack.reason).toBe('step 1 (10%): 5xx rate 10% is above 1%');
    expect(rolledBack.report.steps[0]?.hosts.map((host) => [host.host, host.fresh?.errors])).toEqual([
      ['deploy@a', 0],
      ['deploy@b', 40],
    ]);
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.ops()).toEqual(['stage', 'commit', 'revert', 'discard']);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    }
  });

  it('a host that fails mid-canary (its commit throws) sends traffic back on every host', async () => {
    const { plan, servers, before, launch, rollBack, routeAt } = setup({
      hosts: { 'deploy@a': {}, 'deploy@b': {} },
    });
    const [a, b] = servers as [FakeServer, FakeServer];
    // b takes the first step, then refuses the second.
    const commit = b.proxy.commit.bind(b.proxy);
    vi.spyOn(b.proxy, 'commit').mockImplementation(async (staged) => {
      await commit(staged);
      b.proxy.options.failCommit = true;
    });
    const { error, rolledBack } = await rollBack();
    expect(rolledBack.kind).toBe('error');
    expect(rolledBack.reason).toBe('fake-proxy on deploy@b rejected the new route');
    expect(String(error)).toContain('rejected the new route');
    for (const [index, server] of [a, b].entries()) {
      expect(server.proxy.calls).toEqual([
        { op: 'stage', route: routeAt(server, 10) },
        { op: 'commit', route: routeAt(server, 10) },
        { op: 'stage', route: routeAt(server, 25) },
        { op: 'commit', route: routeAt(server, 25) },
        { op: 'revert', route: routeAt(server, 10) },
        { op: 'discard', app: 'web' },
      ]);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.proxy.staged.size).toBe(0);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
      expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    }
    expect(launch.discard).toHaveBeenCalledTimes(2);
    // The report says where it broke off: moving to 25%.
    expect(rolledBack.report.steps.map((step) => [step.percent, step.outcome])).toEqual([
      [10, 'passed'],
      [25, 'failed'],
    ]);
  });
});

describe('canary: the cooldown watched on the hosts (canary-cooldown-watch: host)', () => {
  const hosts = { 'deploy@a': {}, 'deploy@b': {} };
  const inputs = { 'canary-cooldown-watch': 'host' };

  it('with canary-cooldown-token and a deployment, each host gets the token in a 600 file and where to post', async () => {
    const deployment = {
      statusesUrl: 'https://api.github.com/repos/acme/web/deployments/7/statuses',
      environment: 'production',
      logUrl: 'https://github.com/acme/web/actions/runs/42',
    };
    const { plan, servers, roll } = setup({
      hosts,
      inputs: { ...inputs, 'canary-cooldown-token': 'ghs_cooldown_token' },
      deployment,
    });
    const watches = servers.map((server) => vi.spyOn(server.proxy, 'watchOnHost').mockResolvedValue(true));
    await roll();
    for (const [index, watch] of watches.entries()) {
      const [, hostWatch] = watch.mock.calls[0] as unknown as Parameters<Proxy['watchOnHost']>;
      const headerFile = `${plan.appDir}/cooldown.github-header`;
      expect(hostWatch.github?.url).toBe(deployment.statusesUrl);
      expect(hostWatch.github?.headerFile).toBe(headerFile);
      expect(JSON.parse(hostWatch.github?.body as string)).toEqual({
        state: 'failure',
        description: '@DESCRIPTION@',
        log_url: deployment.logUrl,
        environment: 'production',
      });
      expect(JSON.stringify(hostWatch)).not.toContain('ghs_cooldown_token');
      expect(servers[index]?.shell.writes).toContainEqual({
        path: headerFile,
        content: 'Authorization: Bearer ghs_cooldown_token\n',
        mode: '600',
      });
    }
  });

  it('hands the cooldown to every host and ends at 100%, the old release still running', async () => {
    const { plan, servers, progress, roll, seconds } = setup({ hosts, inputs });
    const watches = servers.map((server) => vi.spyOn(server.proxy, 'watchOnHost').mockResolvedValue(true));
    const rolled = await roll();
    expect(seconds()).toBe(3 * 60);
    for (const [index, watch] of watches.entries()) {
      expect(watch).toHaveBeenCalledOnce();
      // (FakeProxy.watchOnHost takes no parameters: the Proxy interface's are these.)
      const [app, hostWatch] = watch.mock.calls[0] as unknown as Parameters<Proxy['watchOnHost']>;
      expect(app).toBe('web');
      expect(hostWatch).toMatchObject({
        fresh: { release: plan.release, container: plan.container.name },
        old: { release: OLD.id, containers: [OLD.container] },
        seconds: 300,
        checkSeconds: 10,
        failureLimit: 2,
        minRequests: 20,
        maxErrorRate: 0.01,
        maxP99Ms: 500,
        drainSeconds: 60,
        currentFile: `${plan.appDir}/current`,
        resultFile: `${plan.appDir}/cooldown.result`,
      });
      // No window: the host judges, as the runner does, the traffic since its last verdict.
      expect(hostWatch).not.toHaveProperty('windowSeconds');
      expect(JSON.parse(hostWatch.rolledBackRecord)).toMatchObject({
        id: plan.release,
        outcome: 'rolled back',
        error: '@REASON@',
      });
      expect(servers[index]?.runtime.containers.get(OLD.container)?.running).toBe(true);
    }
    expect(rolled.canary?.watchedOnHost).toBe(true);
    expect(rolled.canary?.steps.at(-1)).toMatchObject({ percent: 100, cooldown: true, outcome: 'watching' });
    expect(canaryLines().at(-3)).toMatch(
      /^Cooldown: each host watches .* for 300s and rolls back by itself;/,
    );
    expect(canaryLines().at(-2)).toBe(
      'a rollback by a host will not show on the GitHub deployment: no canary-cooldown-token',
    );
    expect(progress).toHaveBeenLastCalledWith('Canary cooldown watched on the hosts for 300s');
  });

  it('when a host cannot watch, stops the watches that started and watches from the runner', async () => {
    const { plan, servers, roll, seconds } = setup({ hosts, inputs });
    const [a, b] = servers as [FakeServer, FakeServer];
    vi.spyOn(a.proxy, 'watchOnHost').mockResolvedValue(true);
    const stops = servers.map((server) => vi.spyOn(server.proxy, 'stopHostWatch'));
    const rolled = await roll();
    for (const stop of stops)
      expect(stop).toHaveBeenCalledExactlyOnceWith('web', {
        result: `${plan.appDir}/cooldown.result`,
        githubHeader: `${plan.appDir}/cooldown.github-header`,
      });
    expect(log.text()).toContain(
      `::warning::[canary] ${b.label} cannot watch the cooldown itself: the runner watches`,
    );
    expect(seconds()).toBe(3 * 60 + 300);
    expect(rolled.canary?.watchedOnHost).toBeUndefined();
    expect(rolled.canary?.steps.at(-1)).toMatchObject({ cooldown: true, outcome: 'passed', seconds: 300 });
  });

  it('cancelled while the watches start: they are stopped and traffic goes back (kind cancelled)', async () => {
    const { plan, servers, before, controller, rollBack } = setup({ hosts, inputs });
    for (const server of servers)
      vi.spyOn(server.proxy, 'watchOnHost').mockImplementation(async () => {
        controller.abort();
        return true;
      });
    const stops = servers.map((server) => vi.spyOn(server.proxy, 'stopHostWatch'));
    const { rolledBack } = await rollBack();
    expect(rolledBack.kind).toBe('cancelled');
    for (const stop of stops) expect(stop).toHaveBeenCalledOnce();
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    }
  });

  it('when starting a watch fails on a host, the watches that started are stopped before traffic goes back', async () => {
    const { plan, servers, before, rollBack } = setup({ hosts, inputs });
    const [a, b] = servers as [FakeServer, FakeServer];
    vi.spyOn(a.proxy, 'watchOnHost').mockResolvedValue(true);
    vi.spyOn(b.proxy, 'watchOnHost').mockRejectedValue(new Error('connection reset'));
    const stops = servers.map((server) => vi.spyOn(server.proxy, 'stopHostWatch'));
    const { rolledBack } = await rollBack();
    expect(rolledBack.kind).toBe('error');
    expect(rolledBack.reason).toBe('deploy@b: connection reset');
    // a's watch would otherwise retire the old release (now serving again) when its time is up.
    for (const stop of stops)
      expect(stop).toHaveBeenCalledExactlyOnceWith('web', {
        result: `${plan.appDir}/cooldown.result`,
        githubHeader: `${plan.appDir}/cooldown.github-header`,
      });
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    }
  });
});
