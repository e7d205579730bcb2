import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rollback } from '../../../src/commands/rollback';
import { lockAll } from '../../../src/fleet';
import { lockOwner } from '../../../src/host/lock';
import type { ReleaseRecord } from '../../../src/model/release';
import {
  captureLog,
  currentOn,
  expectNoStrayCommands,
  fakeFrame,
  FakeHost,
  type FakeServer,
  fakeServer,
  recordOn,
  releaseRecord,
  seedRelease,
  type ServerOptions,
  testConfig,
  uptimeChecks,
} from '../support/fakes';

const APP_DIR = '/var/lib/baton/web';
const R0 = releaseRecord('20240228-090000-0000000', 'done');
const R1 = releaseRecord('20240301-100000-1111111', 'done');
const R1_FAILED = releaseRecord('20240302-100000-1212121', 'error');
const R2 = releaseRecord('20240303-100000-2222222', 'done');
const R3_FAILED = releaseRecord('20240304-100000-3333333', 'error');
/** Oldest first; R2 serves. */
const HISTORY = [R0, R1, R1_FAILED, R2, R3_FAILED];

const signals = { SIGINT: 0, SIGTERM: 0 };
beforeEach(() => {
  captureLog();
  signals.SIGINT = process.listenerCount('SIGINT');
  signals.SIGTERM = process.listenerCount('SIGTERM');
});
afterEach(() => {
  // The rollback's cancellation watch is gone, whatever happened.
  expect(process.listenerCount('SIGINT')).toBe(signals.SIGINT);
  expect(process.listenerCount('SIGTERM')).toBe(signals.SIGTERM);
  vi.restoreAllMocks();
  expectNoStrayCommands();
});

interface Setup {
  inputs?: Record<string, string>;
  a?: ServerOptions;
  b?: ServerOptions;
  history?: ReleaseRecord[];
  crash?: boolean;
}

function setup({ inputs = {}, a, b, history = HISTORY, crash = false }: Setup = {}) {
  const base = testConfig({ command: 'rollback', ...inputs });
  const config = crash ? { ...base, checks: uptimeChecks() } : base;
  const servers = [fakeServer('deploy@a', a), fakeServer('deploy@b', b)];
  for (const server of servers) {
    for (const record of history) seedRelease(server, APP_DIR, record, record.id === R2.id);
    server.runtime.options.crash = crash;
  }
  const frame = fakeFrame(config, servers);
  return { servers, frame, run: () => rollback(frame) };
}

/** The lock was taken once on each server, and let go. */
function expectLockReleased(servers: FakeServer[]): void {
  for (const server of servers) {
    expect(server.shell.holds).toHaveLength(1);
    expect(server.shell.holds[0]?.closed).toBe(true);
    expect(server.shell.host.locks.size).toBe(0);
  }
}

/** Nothing moved: R2 serves, from its container, and is current. */
function expectUntouched(servers: FakeServer[]): void {
  for (const server of servers) {
    expect(server.proxy.live.get('web')?.release).toBe(R2.id);
    expect(server.proxy.calls.filter((call) => call.op === 'commit')).toEqual([]);
    expect(currentOn(server, APP_DIR)).toBe(R2.id);
    expect(recordOn(server, APP_DIR, R2.id)).toEqual(R2);
    expect(server.runtime.containers.get(R2.container)?.running).toBe(true);
  }
}

describe('rollback', () => {
  it('brings back the newest successful release before the current one, on every server', async () => {
    const { servers, frame, run } = setup();
    const result = await run();
    expect(result).toMatchObject({
      commit: R1.commit,
      image: R1.image,
      previousRelease: R2.id,
      plan: { release: R1.id, image: R1.image, container: { name: R1.container } },
    });
    for (const server of servers) {
      const container = server.runtime.containers.get(R1.container);
      expect(container?.running).toBe(true);
      expect(server.runtime.callsOf('start')).toEqual([[R1.container]]);
      expect(server.proxy.live.get('web')).toMatchObject({
        release: R1.id,
        upstreams: [{ port: container?.port, weight: 1 }],
      });
      expect(currentOn(server, APP_DIR)).toBe(R1.id);
      // The release it replaces is recorded as rolled back; the one brought back keeps its record.
      expect(recordOn(server, APP_DIR, R2.id)).toEqual({
        ...R2,
        outcome: 'rolled back',
        finishedAt: expect.not.stringMatching(R2.finishedAt as string),
      });
      expect(recordOn(server, APP_DIR, R1.id)).toEqual(R1);
      // The replaced container stops later (it may still finish requests), not now.
      expect(server.runtime.callsOf('retireLater')).toEqual([
        [60, `${APP_DIR}/current`, 'web', [R2.container]],
      ]);
      expect(server.runtime.callsOf('stop')).toEqual([]);
    }
    expectLockReleased(servers);
    expect(JSON.parse(servers[0]?.shell.holds[0]?.argv[6] ?? '')).toMatchObject({
      holder: 'rollback of web',
    });
    expect(frame.disconnects).toBe(1);
    expect(frame.phases.map((phase) => phase.name)).toEqual([
      'Connect',
      'Lock',
      'Start',
      'Checks',
      'Hand-over',
      'Retire',
    ]);
  });

  it('brings back the release asked for', async () => {
    const { servers, run } = setup({ inputs: { release: R0.id } });
    const result = await run();
    expect(result.plan.release).toBe(R0.id);
    for (const server of servers) {
      expect(server.proxy.live.get('web')?.release).toBe(R0.id);
      expect(currentOn(server, APP_DIR)).toBe(R0.id);
    }
  });

  it.each([
    {
      why: 'the release asked for is not in the history',
      release: '20240101-000000-deadbee',
      message:
        'cannot roll back: release 20240101-000000-deadbee is not in the history. Releases on deploy@a: ' +
        `${R3_FAILED.id} (error), ${R2.id} (done), ${R1_FAILED.id} (error), ${R1.id} (done), ${R0.id} (done)`,
    },
    {
      why: 'the release asked for is the current one',
      release: R2.id,
      message: `cannot roll back: release ${R2.id} is already the current one`,
    },
    {
      why: 'the release asked for ended as an error',
      release: R1_FAILED.id,
      message: `cannot roll back: release ${R1_FAILED.id} ended as "error"; only releases that served can come back`,
    },
  ])('refuses when $why, touching nothing, and lets go of the lock', async ({ release, message }) => {
    const { servers, frame, run } = setup({ inputs: { release } });
    await expect(run()).rejects.toThrow(message);
    expectUntouched(servers);
    for (const server of servers) expect(server.runtime.callsOf('start')).toEqual([]);
    expectLockReleased(servers);
    expect(frame.disconnects).toBe(1);
  });

  it('refuses when no earlier release succeeded', async () => {
    const { servers, frame, run } = setup({ history: [R1_FAILED, R2] });
    await expect(run()).rejects.toThrow('cannot roll back: there is no earlier successful release');
    expectUntouched(servers);
    expectLockReleased(servers);
    expect(frame.disconnects).toBe(1);
  });

  it('refuses when a server does not have the release', async () => {
    const { servers, run } = setup();
    servers[1]?.shell.files.delete(`${APP_DIR}/releases/${R1.id}.json`);
    await expect(run()).rejects.toThrow(`cannot roll back: release ${R1.id} is not on deploy@b`);
    expectUntouched(servers);
    expectLockReleased(servers);
  });

  it('when the release brought back fails its checks, it is stopped again and the current one keeps serving', async () => {
    const { servers, frame, run } = setup({ crash: true });
    const error = await run().catch((caught: unknown) => caught);
    expect(String(error)).toContain(`rollback to ${R1.id} failed: `);
    expect(String(error)).toContain('crashed and restarted');
    expectUntouched(servers);
    for (const server of servers) {
      expect(server.runtime.containers.get(R1.container)?.running).toBe(false);
      expect(server.runtime.callsOf('stop')).toEqual([[R1.container]]);
      // Stopped, not removed: it is still there for another try.
      expect(server.runtime.callsOf('remove')).toEqual([]);
      expect(server.proxy.staged.size).toBe(0);
      expect(server.runtime.callsOf('retireLater')).toEqual([]);
    }
    expectLockReleased(servers);
    expect(frame.disconnects).toBe(1);
  });

  it('when the container is gone from one server, the other stops it again', async () => {
    const { servers, run } = setup();
    const [a, b] = servers as [FakeServer, FakeServer];
    b.runtime.containers.delete(R1.container);
    await expect(run()).rejects.toThrow(
      `rollback to ${R1.id} failed: Start failed: the container ${R1.container} is gone from deploy@b (pruned: see keep-releases)`,
    );
    expectUntouched(servers);
    expect(a.runtime.containers.get(R1.container)?.running).toBe(false);
    expectLockReleased(servers);
  });

  it('waits for no one with lock-timeout 0: another run holding the lock stops it, and it disconnects', async () => {
    const host = new FakeHost('deploy@b');
    const other = await lockAll(
      [fakeServer('deploy@b', { host })],
      APP_DIR,
      lockOwner('https://github.com/acme/web/actions/runs/1', R3_FAILED.id),
      0,
    );
    const { servers, frame, run } = setup({ inputs: { 'lock-timeout': '0' }, b: { host } });
    await expect(run()).rejects.toThrow(
      `another deploy holds the lock on deploy@b (release ${R3_FAILED.id} of`,
    );
    expectUntouched(servers);
    // Its lock on a was let go; the other run's lock on b stays.
    expect(servers[0]?.shell.holds[0]?.closed).toBe(true);
    expect(host.locks.size).toBe(1);
    expect(frame.disconnects).toBe(1);
    await other.unlock();
  });
});
