import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChecksFailedError } from '../../../src/checks/run';
import type { Config } from '../../../src/config';
import { CancelledError, findCause } from '../../../src/errors';
import { discardContainer, startContainer } from '../../../src/lifecycle/containers';
import { phaseTimer } from '../../../src/log';
import type { Route } from '../../../src/model/route';
import { planDeploy } from '../../../src/plan/deploy';
import type { Launch } from '../../../src/traffic';
import { allAtOnce } from '../../../src/traffic/all-at-once';
import { CONTEXT } from '../support';
import {
  captureLog,
  expectNoStrayCommands,
  type FakeServer,
  fakeServer,
  releaseRecord,
  seedRelease,
  type ServerOptions,
  testConfig,
  uptimeChecks,
} from '../support/fakes';

const NOW = new Date('2024-03-05T14:07:09.123Z');
const OLD = releaseRecord('20240301-100000-aaaaaaa', 'done');

let log: ReturnType<typeof captureLog>;
beforeEach(() => {
  log = captureLog();
});
afterEach(() => {
  vi.restoreAllMocks();
  expectNoStrayCommands();
});

interface Setup {
  a?: ServerOptions;
  b?: ServerOptions;
  checks?: Config['checks'];
  handingOver?: () => void;
}

/** Two servers, each serving OLD, and a rollout of a new release to both with the deploy's launch. */
function setup({ a, b, checks, handingOver = () => undefined }: Setup = {}) {
  const base = planDeploy(testConfig(), CONTEXT, NOW);
  const plan = checks ? { ...base, checks } : base;
  const servers = [fakeServer('deploy@a', a), fakeServer('deploy@b', b)];
  for (const server of servers) seedRelease(server, plan.appDir, OLD, true);
  const before = servers.map((server) => structuredClone(server.proxy.live.get('web')) as Route);
  const launch = {
    verb: 'started',
    start: vi.fn((server: FakeServer) => startContainer(server, plan)),
    discard: vi.fn((server: FakeServer) => discardContainer(server, plan)),
    handingOver: vi.fn(handingOver),
    signal: new AbortController().signal,
  } satisfies Launch;
  const { timed, phases } = phaseTimer();
  const roll = async () =>
    (
      await allAtOnce.roll({
        plan,
        image: plan.image,
        servers,
        timed,
        launch,
        progress: async () => undefined,
      })
    ).checks;
  const newPort = (server: FakeServer) => server.runtime.containers.get(plan.container.name)?.port;
  return { plan, servers, before, launch, phases, roll, newPort };
}

describe('allAtOnce', () => {
  it('starts, checks, then moves traffic on every server: stage, then commit, to the new port', async () => {
    const { plan, servers, launch, phases, roll, newPort } = setup();
    const results = await roll();
    const ports = servers.map(newPort);
    expect(ports[0]).toBeTypeOf('number');
    expect(ports[0]).not.toBe(ports[1]);
    for (const [index, server] of servers.entries()) {
      const route = { ...plan.route, upstreams: [{ port: ports[index], weight: 1 }] };
      expect(server.proxy.calls).toEqual([
        { op: 'stage', route },
        { op: 'commit', route },
      ]);
      expect(server.proxy.live.get('web')).toEqual(route);
      expect(server.proxy.staged.size).toBe(0);
      // The check reached the new container, through its own published port.
      expect(server.shell.httpGets).toEqual([{ address: '127.0.0.1', port: ports[index], path: '/' }]);
      // The previous release is left running: retiring it is the caller's job.
      expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    }
    expect(results.map((result) => [result.check.name, result.ok])).toEqual([['ready', true]]);
    expect(launch.start).toHaveBeenCalledTimes(2);
    expect(launch.handingOver).toHaveBeenCalledTimes(1);
    expect(launch.discard).not.toHaveBeenCalled();
    expect(phases.map((phase) => phase.name)).toEqual(['Start', 'Checks', 'Hand-over']);
  });

  it('calls handingOver once, after the checks passed everywhere and before the first commit', async () => {
    let seen: { ops: string[][]; probes: number[] } | undefined;
    const { servers, launch, roll } = setup({
      handingOver: () => {
        seen = {
          ops: servers.map((server) => server.proxy.ops()),
          probes: servers.map((server) => server.shell.httpGets.length),
        };
      },
    });
    await roll();
    expect(launch.handingOver).toHaveBeenCalledTimes(1);
    expect(seen).toEqual({ ops: [['stage'], ['stage']], probes: [1, 1] });
  });

  it('when the checks fail on one server, no server commits, and everything new is taken down', async () => {
    const { plan, servers, before, launch, roll } = setup({
      b: { runtime: { crash: true } },
      checks: uptimeChecks(),
    });
    const error = await roll().catch((caught: unknown) => caught);
    const failed = findCause(error, ChecksFailedError);
    expect(failed?.message).toContain('crashed and restarted 1 time(s)');
    expect(failed?.container).toBe(plan.container.name);
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.ops()).toEqual(['stage', 'discard']);
      expect(server.proxy.staged.size).toBe(0);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
      expect(server.runtime.callsOf('remove')).toEqual([[[plan.container.name]]]);
      expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    }
    expect(launch.discard).toHaveBeenCalledTimes(2);
    expect(launch.handingOver).not.toHaveBeenCalled();
    // The failed container's output is shown.
    expect(log.text()).toContain(`(output of ${plan.container.name})`);
  });

  it('when the commit fails on the second server after the first switched, the first is reverted', async () => {
    const { plan, servers, before, launch, roll } = setup({ b: { proxy: { failCommit: true } } });
    const [a, b] = servers as [FakeServer, FakeServer];
    await expect(roll()).rejects.toThrow('fake-proxy on deploy@b rejected the new route');
    expect(a.proxy.ops()).toEqual(['stage', 'commit', 'revert', 'discard']);
    expect(b.proxy.ops()).toEqual(['stage', 'commit', 'discard']);
    expect(a.proxy.live.get('web')).toEqual(before[0]);
    expect(b.proxy.live.get('web')).toEqual(before[1]);
    for (const server of servers) {
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
      expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
    }
    expect(launch.discard).toHaveBeenCalledTimes(2);
    expect(launch.handingOver).toHaveBeenCalledTimes(1);
  });

  it('a revert that fails is warned about, and the new containers are still taken down', async () => {
    const { plan, servers, roll } = setup({
      a: { proxy: { failRevert: true } },
      b: { proxy: { failCommit: true } },
    });
    await expect(roll()).rejects.toThrow('rejected the new route');
    expect(log.text()).toContain('could not revert fake-proxy on deploy@a');
    for (const server of servers) expect(server.runtime.containers.has(plan.container.name)).toBe(false);
  });

  it('a route that cannot be staged stops the release before the hand-over begins', async () => {
    const { plan, servers, before, launch, roll } = setup({ b: { proxy: { failStage: true } } });
    await expect(roll()).rejects.toThrow('fake-proxy on deploy@b could not stage the route');
    expect(launch.handingOver).not.toHaveBeenCalled();
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.ops()).toEqual(['stage', 'discard']);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    }
  });

  it('a throw from handingOver stops the release before any commit', async () => {
    const cancelled = new CancelledError('the deploy was cancelled before the hand-over');
    const { plan, servers, before, launch, roll } = setup({
      handingOver: () => {
        throw cancelled;
      },
    });
    await expect(roll()).rejects.toBe(cancelled);
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.ops()).toEqual(['stage', 'discard']);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
      expect(server.runtime.containers.has(plan.container.name)).toBe(false);
    }
    expect(launch.discard).toHaveBeenCalledTimes(2);
  });

  it('when a container cannot start on one server, the ones that did are taken down, nothing is staged', async () => {
    const { plan, servers, before, roll } = setup({ b: { runtime: { failRun: 'no space left on device' } } });
    const [a, b] = servers as [FakeServer, FakeServer];
    await expect(roll()).rejects.toThrow('Start failed: deploy@b: no space left on device');
    expect(a.runtime.callsOf('run')).toHaveLength(1);
    expect(a.runtime.containers.has(plan.container.name)).toBe(false);
    expect(a.runtime.callsOf('remove')).toEqual([[[plan.container.name]]]);
    for (const [index, server] of servers.entries()) {
      expect(server.proxy.ops()).toEqual(['discard']);
      expect(server.proxy.live.get('web')).toEqual(before[index]);
    }
    expect(b.runtime.containers.has(plan.container.name)).toBe(false);
  });

  it('with skip-checks, nothing is probed and traffic moves once the containers run', async () => {
    const skipped = testConfig({ 'skip-checks': 'true' }).checks;
    const { servers, roll, newPort } = setup({ checks: skipped });
    expect(await roll()).toEqual([]);
    for (const server of servers) {
      expect(server.shell.httpGets).toEqual([]);
      expect(server.proxy.live.get('web')?.upstreams).toEqual([{ port: newPort(server), weight: 1 }]);
    }
  });
});
