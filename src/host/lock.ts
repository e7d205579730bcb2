import * as core from '@actions/core';
import { BatonError } from '../errors';
import { holdLock, LOCK_TAKEN, LOCKED } from './commands';
import type { Held, Shell } from './ssh';

/**
 * One deploy per app per host. The lock is a kernel flock(2) held by a process that lives exactly as long
 * as this deploy's SSH session: `flock` runs `cat`, which reads the session's stdin. When the deploy ends,
 * is cancelled, or its runner is killed, the session closes, `cat` sees end-of-file and the kernel drops
 * the lock. So a lock cannot outlive its holder, and no person has to clear it. (If the network is cut
 * without closing the connection, sshd notices at its next keepalive: ClientAliveInterval.)
 */
export interface Lock {
  unlock(): Promise<void>;
}

/** Who holds a lock, written beside it so that a waiting deploy can say whom it waits for. */
export interface LockOwner {
  runUrl: string;
  /** What holds it: a release id, or e.g. "rollback of web". */
  holder: string;
  since: string;
}

export function lockOwner(runUrl: string, holder: string): LockOwner {
  return { runUrl, holder, since: new Date().toISOString() };
}

const POLL_MS = 2000;

export async function acquireLock(
  host: Shell,
  appDir: string,
  owner: LockOwner,
  timeoutSeconds: number,
): Promise<Lock> {
  const lockFile = `${appDir}/deploy.lock`;
  const started = Date.now();
  let lastHolder = '';
  while (true) {
    const held = await host.hold(holdLock(appDir, lockFile, JSON.stringify(owner)));
    const line = await held.ready;
    if (line === LOCKED) {
      return { unlock: () => unlock(host, held, lockFile) };
    }
    const code = await held.exited;
    if (code !== LOCK_TAKEN)
      throw new BatonError(
        `cannot take the deploy lock ${lockFile}: flock exited ${code}: ${held.output().trim()}`,
      );
    const holder = await describeHolder(host, lockFile);
    const waited = Math.round((Date.now() - started) / 1000);
    if (waited >= timeoutSeconds) {
      throw new BatonError(
        `another deploy holds the lock on ${host.label} (${holder}); gave up after ${waited}s (lock-timeout)`,
      );
    }
    if (holder !== lastHolder) core.info(`waiting for the deploy lock on ${host.label}: held by ${holder}`);
    lastHolder = holder;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function unlock(host: Shell, held: Held, lockFile: string): Promise<void> {
  await host.run(['rm', '-f', `${lockFile}.owner`], { allowFailure: true });
  await held.close();
}

async function describeHolder(host: Shell, lockFile: string): Promise<string> {
  const text = await host.readFile(`${lockFile}.owner`).catch(() => undefined);
  try {
    const owner = JSON.parse(text ?? '') as LockOwner & { release?: string };
    const holder = owner.holder ?? owner.release;
    if (!holder) throw new BatonError('no holder');
    return `${/^\d{8}-/.test(holder) ? `release ${holder}` : holder} of ${owner.runUrl}, since ${owner.since}`;
  } catch {
    return 'a deploy that has not written its name yet';
  }
}
