import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lock } from '../../../src/commands/frame';
import { lockAll } from '../../../src/fleet';
import { acquireLock, lockOwner } from '../../../src/host/lock';
import { placeOf } from '../../../src/plan/place';
import { CONTEXT } from '../support';
import {
  captureLog,
  expectNoStrayCommands,
  fakeFrame,
  FakeHost,
  fakeServer,
  FakeShell,
  testConfig,
} from '../support/fakes';

const APP_DIR = '/var/lib/baton/web';
const LOCK_FILE = `${APP_DIR}/deploy.lock`;
const RUN = 'https://github.com/acme/web/actions/runs/4242';
const OTHER_RUN = 'https://github.com/acme/web/actions/runs/4343';

let log: ReturnType<typeof captureLog>;
beforeEach(() => {
  log = captureLog();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  expectNoStrayCommands();
});

describe('lockAll', () => {
  it('takes the lock on every server, names its owner beside it, and lets go on unlock', async () => {
    const servers = [fakeServer('deploy@a'), fakeServer('deploy@b')];
    const owner = lockOwner(RUN, '20240305-140709-0123456');
    const held = await lockAll(servers, APP_DIR, owner, 0);
    for (const server of servers) {
      expect(server.shell.host.locks.has(LOCK_FILE)).toBe(true);
      expect(JSON.parse(server.shell.files.get(`${LOCK_FILE}.owner`) ?? '')).toEqual(owner);
    }
    await held.unlock();
    for (const server of servers) {
      expect(server.shell.host.locks.size).toBe(0);
      expect(server.shell.holds.map((hold) => hold.closed)).toEqual([true]);
      expect(server.shell.files.has(`${LOCK_FILE}.owner`)).toBe(false);
      expect(server.shell.commands).toContainEqual(['rm', '-f', `${LOCK_FILE}.owner`]);
    }
  });

  it('a second run on the same app fails at once with timeout 0, naming the release and run that hold it', async () => {
    const host = new FakeHost('deploy@a');
    const first = fakeServer('deploy@a', { host });
    const second = fakeServer('deploy@a', { host });
    const owner = lockOwner(OTHER_RUN, '20240305-140709-0123456');
    const held = await lockAll([first], APP_DIR, owner, 0);
    const refused = lockAll([second], APP_DIR, lockOwner(RUN, '20240305-140800-fedcba9'), 0);
    await expect(refused).rejects.toThrow(
      `another deploy holds the lock on deploy@a (release 20240305-140709-0123456 of ${OTHER_RUN}, since ${owner.since}); gave up after 0s (lock-timeout)`,
    );
    // The refused run did not overwrite the holder's name.
    expect(JSON.parse(host.files.get(`${LOCK_FILE}.owner`) ?? '')).toEqual(owner);
    await held.unlock();
    const again = await lockAll([second], APP_DIR, lockOwner(RUN, '20240305-140800-fedcba9'), 0);
    expect(host.locks.get(LOCK_FILE)).toBe(second.shell.holds.at(-1));
    await again.unlock();
    expect(host.locks.size).toBe(0);
  });

  it('names a holder that is not a release (a rollback) as it is', async () => {
    const host = new FakeHost('deploy@a');
    const held = await lockAll(
      [fakeServer('deploy@a', { host })],
      APP_DIR,
      lockOwner(OTHER_RUN, 'rollback of web'),
      0,
    );
    await expect(
      lockAll([fakeServer('deploy@a', { host })], APP_DIR, lockOwner(RUN, 'x'), 0),
    ).rejects.toThrow(`(rollback of web of ${OTHER_RUN}, since `);
    await held.unlock();
  });

  it('a lock that cannot be taken on the second server lets go of the first', async () => {
    const bHost = new FakeHost('deploy@b');
    const blocker = await lockAll(
      [fakeServer('deploy@b', { host: bHost })],
      APP_DIR,
      lockOwner(OTHER_RUN, 'r1'),
      0,
    );
    const a = fakeServer('deploy@a');
    const b = fakeServer('deploy@b', { host: bHost });
    await expect(lockAll([a, b], APP_DIR, lockOwner(RUN, 'r2'), 0)).rejects.toThrow(
      'another deploy holds the lock on deploy@b',
    );
    expect(a.shell.holds).toHaveLength(1);
    expect(a.shell.holds[0]?.closed).toBe(true);
    expect(a.shell.host.locks.size).toBe(0);
    expect(a.shell.files.has(`${LOCK_FILE}.owner`)).toBe(false);
    // The other run's lock on b is untouched.
    expect(bHost.locks.size).toBe(1);
    await blocker.unlock();
  });

  it('waits for the holder, up to the timeout, and takes the lock once it is free', async () => {
    vi.useFakeTimers();
    const host = new FakeHost('deploy@a');
    const held = await lockAll([fakeServer('deploy@a', { host })], APP_DIR, lockOwner(OTHER_RUN, 'r1'), 0);
    const waiter = fakeServer('deploy@a', { host });
    let taken = false;
    const waiting = lockAll([waiter], APP_DIR, lockOwner(RUN, 'r2'), 60).then((lock) => {
      taken = true;
      return lock;
    });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(taken).toBe(false);
    expect(log.text()).toContain(`waiting for the deploy lock on deploy@a: held by r1 of ${OTHER_RUN}`);
    await held.unlock();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(taken).toBe(true);
    expect(host.locks.get(LOCK_FILE)).toBe(waiter.shell.holds.at(-1));
    await (await waiting).unlock();
  });

  it('gives up once the timeout is spent', async () => {
    vi.useFakeTimers();
    const host = new FakeHost('deploy@a');
    const held = await lockAll([fakeServer('deploy@a', { host })], APP_DIR, lockOwner(OTHER_RUN, 'r1'), 0);
    const waiting = lockAll([fakeServer('deploy@a', { host })], APP_DIR, lockOwner(RUN, 'r2'), 5);
    const outcome = waiting.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(String(await outcome)).toContain('gave up after 6s (lock-timeout)');
    await held.unlock();
  });
});

describe('acquireLock', () => {
  it('fails, with the output, when flock fails for another reason than a holder', async () => {
    const shell = new FakeShell(new FakeHost('deploy@a'));
    shell.holdFails = { code: 1, output: 'flock: cannot open lock file: Permission denied' };
    await expect(acquireLock(shell, APP_DIR, lockOwner(RUN, 'r'), 60)).rejects.toThrow(
      `cannot take the deploy lock ${LOCK_FILE}: flock exited 1: flock: cannot open lock file: Permission denied`,
    );
  });

  it('says so when the holder has not written its name yet', async () => {
    const host = new FakeHost('deploy@a');
    const held = await acquireLock(new FakeShell(host), APP_DIR, lockOwner(OTHER_RUN, 'r1'), 0);
    host.files.delete(`${LOCK_FILE}.owner`);
    await expect(acquireLock(new FakeShell(host), APP_DIR, lockOwner(RUN, 'r2'), 0)).rejects.toThrow(
      '(a deploy that has not written its name yet)',
    );
    await held.unlock();
  });
});

describe('frame.lock', () => {
  it('takes the lock in a Lock phase, named after the run and the holder', async () => {
    const config = testConfig();
    const servers = [fakeServer('deploy@a')];
    const frame = fakeFrame(config, servers);
    const held = await lock(frame, servers, placeOf(config, CONTEXT), 'rollback of web');
    const owner = JSON.parse(servers[0]?.shell.files.get(`${LOCK_FILE}.owner`) ?? '');
    expect(owner).toMatchObject({ runUrl: RUN, holder: 'rollback of web' });
    expect(frame.phases.map((phase) => phase.name)).toEqual(['Lock']);
    await held.unlock();
  });
});
