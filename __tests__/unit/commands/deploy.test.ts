import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deploy } from '../../../src/commands/deploy';
import type { ReleaseRecord } from '../../../src/model/release';
import { CONTEXT, SHA } from '../support';
import {
  captureLog,
  currentOn,
  expectNoStrayCommands,
  fakeFrame,
  type FakeServer,
  fakeServer,
  recordOn,
  recordWrites,
  releaseRecord,
  seedRelease,
  type ServerOptions,
  testConfig,
  uptimeChecks,
} from '../support/fakes';

const NOW = new Date('2024-03-05T14:07:09.123Z');
const RELEASE = '20240305-140709-0123456';
const CONTAINER = `web-${RELEASE}`;
const IMAGE = 'registry.example.com/acme/web:1.4.2';
const APP_DIR = '/var/lib/baton/web';
const RUN = 'https://github.com/acme/web/actions/runs/4242';
const OLD = releaseRecord('20240301-100000-aaaaaaa', 'done');

const signals = { SIGINT: 0, SIGTERM: 0 };
beforeEach(() => {
  // Release ids and records are stamped with the time: only Date is faked, timers run as usual.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  // The in-flight marker goes to the step's state: stdout here, never a real GITHUB_STATE file.
  vi.stubEnv('GITHUB_STATE', '');
  captureLog();
  signals.SIGINT = process.listenerCount('SIGINT');
  signals.SIGTERM = process.listenerCount('SIGTERM');
});
afterEach(() => {
  expect(process.listenerCount('SIGINT')).toBe(signals.SIGINT);
  expect(process.listenerCount('SIGTERM')).toBe(signals.SIGTERM);
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
  expectNoStrayCommands();
});

interface Setup {
  a?: ServerOptions;
  b?: ServerOptions;
  crashChecks?: boolean;
}

/** Two servers serving OLD, and a deploy of a tagged image (nothing built) to them. */
function setup({ a, b, crashChecks = false }: Setup = {}) {
  const base = testConfig();
  const config = crashChecks ? { ...base, checks: uptimeChecks() } : base;
  const servers = [fakeServer('deploy@a', a), fakeServer('deploy@b', b)];
  for (const server of servers) seedRelease(server, APP_DIR, OLD, true);
  const frame = fakeFrame(config, servers);
  return { servers, frame, run: () => deploy(frame) };
}

function outcomes(server: FakeServer, id: string): ReleaseRecord['outcome'][] {
  return recordWrites(server, APP_DIR, id).map((record) => record.outcome);
}

function expectLockReleased(servers: FakeServer[]): void {
  for (const server of servers) {
    expect(server.shell.holds).toHaveLength(1);
    expect(server.shell.holds[0]?.closed).toBe(true);
    expect(server.shell.host.locks.size).toBe(0);
  }
}

describe('deploy', () => {
  it('records the release as running, then done, and hands traffic over on every server', async () => {
    const { servers, frame, run } = setup();
    const [a] = servers as [FakeServer];
    const recordedWhenStarted: (string | undefined)[] = [];
    const realRun = a.runtime.run.bind(a.runtime);
    vi.spyOn(a.runtime, 'run').mockImplementation(async (spec) => {
      recordedWhenStarted.push(recordOn(a, APP_DIR, RELEASE)?.outcome);
      return realRun(spec);
    });
    const result = await run();
    expect(result).toMatchObject({
      commit: SHA,
      image: IMAGE,
      previousRelease: OLD.id,
      retained: [RELEASE, OLD.id],
      plan: { release: RELEASE, container: { name: CONTAINER } },
    });
    expect(recordedWhenStarted).toEqual(['running']);
    for (const server of servers) {
      expect(outcomes(server, RELEASE)).toEqual(['running', 'done']);
      expect(recordOn(server, APP_DIR, RELEASE)).toEqual({
        id: RELEASE,
        app: 'web',
        image: IMAGE,
        commit: SHA,
        ref: CONTEXT.ref,
        actor: CONTEXT.actor,
        runUrl: RUN,
        container: CONTAINER,
        startedAt: NOW.toISOString(),
        finishedAt: NOW.toISOString(),
        outcome: 'done',
      });
      expect(currentOn(server, APP_DIR)).toBe(RELEASE);
      expect(recordOn(server, APP_DIR, OLD.id)).toEqual(OLD);
      expect(server.runtime.callsOf('pull')).toEqual([
        [
          IMAGE,
          {
            server: 'registry.example.com',
            username: 'deployer',
            password: 'registry-secret',
            configDir: `${APP_DIR}/docker-config-${RELEASE}`,
            legacyDir: `${APP_DIR}/docker-config`,
          },
        ],
      ]);
      const port = server.runtime.containers.get(CONTAINER)?.port;
      expect(server.proxy.live.get('web')).toMatchObject({
        release: RELEASE,
        upstreams: [{ port, weight: 1 }],
      });
      expect(server.runtime.callsOf('retireLater')).toEqual([
        [60, `${APP_DIR}/current`, 'web', [OLD.container]],
      ]);
    }
    expectLockReleased(servers);
    expect(frame.disconnects).toBe(1);
    expect(frame.phases.map((phase) => phase.name)).toEqual([
      'Connect',
      'Lock',
      'Record',
      'Pull',
      'Start',
      'Checks',
      'Hand-over',
      'Retire',
    ]);
  });

  it('when the rollout fails, the record says error with the message, and the previous release stays current', async () => {
    const { servers, frame, run } = setup({ b: { runtime: { crash: true } }, crashChecks: true });
    const error = await run().then(
      () => expect.fail('the deploy should fail'),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('crashed and restarted 1 time(s)');
    for (const server of servers) {
      expect(outcomes(server, RELEASE)).toEqual(['running', 'error']);
      expect(recordOn(server, APP_DIR, RELEASE)).toMatchObject({
        outcome: 'error',
        error: error.message,
        finishedAt: NOW.toISOString(),
      });
      expect(currentOn(server, APP_DIR)).toBe(OLD.id);
      expect(recordOn(server, APP_DIR, OLD.id)).toEqual(OLD);
      expect(server.proxy.live.get('web')?.release).toBe(OLD.id);
      expect(server.runtime.containers.has(CONTAINER)).toBe(false);
      expect(server.runtime.containers.get(OLD.container)?.running).toBe(true);
      expect(server.runtime.callsOf('retireLater')).toEqual([]);
    }
    expectLockReleased(servers);
    expect(frame.disconnects).toBe(1);
  });

  it('when the hand-over fails on one server, the other is reverted and both record the error', async () => {
    const { servers, run } = setup({ b: { proxy: { failCommit: true } } });
    await expect(run()).rejects.toThrow('fake-proxy on deploy@b rejected the new route');
    for (const server of servers) {
      expect(recordOn(server, APP_DIR, RELEASE)).toMatchObject({ outcome: 'error' });
      expect(recordOn(server, APP_DIR, RELEASE)?.error).toContain('rejected the new route');
      expect(server.proxy.live.get('web')?.release).toBe(OLD.id);
      expect(currentOn(server, APP_DIR)).toBe(OLD.id);
    }
    expect(servers[0]?.proxy.ops()).toContain('revert');
    expectLockReleased(servers);
  });

  it('a release id already taken on any server (same commit, same second) gets the -2 suffix', async () => {
    const { servers, run } = setup();
    const [a, b] = servers as [FakeServer, FakeServer];
    const earlier = releaseRecord(RELEASE, 'error');
    seedRelease(b, APP_DIR, earlier);
    const result = await run();
    const second = `${RELEASE}-2`;
    expect(result.plan.release).toBe(second);
    expect(result.plan.container.name).toBe(`web-${second}`);
    for (const server of [a, b]) {
      expect(outcomes(server, second)).toEqual(['running', 'done']);
      expect(recordOn(server, APP_DIR, second)?.container).toBe(`web-${second}`);
      expect(outcomes(server, RELEASE)).toEqual([]);
      expect(currentOn(server, APP_DIR)).toBe(second);
      expect(server.proxy.live.get('web')?.release).toBe(second);
      expect(server.runtime.containers.get(`web-${second}`)?.running).toBe(true);
    }
    expect(recordOn(b, APP_DIR, RELEASE)).toEqual(earlier);
    expect(recordOn(a, APP_DIR, RELEASE)).toBeUndefined();
  });

  it('settles a release a dead deploy left running: never served, so removed and recorded cancelled', async () => {
    const { servers, run } = setup();
    const stale = releaseRecord('20240304-100000-bbbbbbb', 'running');
    for (const server of servers) seedRelease(server, APP_DIR, stale);
    const result = await run();
    expect(result.previousRelease).toBe(OLD.id);
    for (const server of servers) {
      expect(recordOn(server, APP_DIR, stale.id)).toMatchObject({
        outcome: 'cancelled',
        error: 'the deploy ended before the hand-over (its deploy ended: cancelled, or its runner died)',
      });
      expect(server.runtime.containers.has(stale.container)).toBe(false);
      expect(currentOn(server, APP_DIR)).toBe(RELEASE);
    }
  });

  it('cancelled during the checks: the new release is removed, recorded cancelled, and traffic never moves', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { servers, run } = setup();
    const [a] = servers as [FakeServer];
    a.shell.http = () => {
      process.emit('SIGTERM', 'SIGTERM');
      return { ok: true, status: 200, body: 'ok' };
    };
    await expect(run()).rejects.toThrow('the deploy was cancelled before the hand-over');
    // Give the signal handler's cleanup time to end.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(exit).toHaveBeenCalledWith(1);
    for (const server of servers) {
      expect(server.proxy.calls.filter((call) => call.op === 'commit')).toEqual([]);
      expect(server.proxy.live.get('web')?.release).toBe(OLD.id);
      expect(server.runtime.containers.has(CONTAINER)).toBe(false);
      expect(recordOn(server, APP_DIR, RELEASE)?.outcome).toBe('cancelled');
      expect(currentOn(server, APP_DIR)).toBe(OLD.id);
    }
  });
});
