import * as core from '@actions/core';
import type { Held, RemoteHost } from '../remote/ssh';

/**
 * One deploy per app per host. The lock is a kernel flock(2) held by a process that lives exactly as long
 * as this deploy's SSH session: `flock` runs `cat`, which reads the session's stdin. When the deploy ends,
 * is cancelled, or its runner is killed, the session closes, `cat` sees end-of-file and the kernel drops
 * the lock. So a lock cannot outlive its holder, and no person has to clear it. (If the network is cut
 * without closing the connection, sshd notices at its next keepalive: ClientAliveInterval.)
 */
export interface Lock {
  release(): Promise<void>;
}

export interface LockOwner {
  runUrl: string;
  release: string;
  since: string;
}

const POLL_MS = 2000;
const LOCKED = 'baton-locked';
// One round trip: make the app dir, take the lock, name its owner, say so, then hold it until stdin
// closes. Arguments: app dir, lock file, owner (JSON).
const HOLD =
  'mkdir -p -m 700 "$1" && exec flock --exclusive --nonblock --conflict-exit-code 75 "$2" ' +
  `sh -c 'printf %s "$3" >"$2.owner" && echo ${LOCKED} && exec cat >/dev/null' baton-lock "$@"`;

export async function acquireLock(
  host: RemoteHost,
  appDir: string,
  owner: LockOwner,
  timeoutSeconds: number,
): Promise<Lock> {
  const lockFile = `${appDir}/deploy.lock`;
  const started = Date.now();
  let lastHolder = '';
  while (true) {
    const held = await host.hold(['sh', '-c', HOLD, 'baton-lock', appDir, lockFile, JSON.stringify(owner)]);
    const line = await held.ready;
    if (line === LOCKED) {
      return { release: () => releaseLock(host, held, lockFile) };
    }
    const code = await held.exited;
    if (code !== 75)
      throw new Error(
        `cannot take the deploy lock ${lockFile}: flock exited ${code}: ${held.output().trim()}`,
      );
    const holder = await describeHolder(host, lockFile);
    const waited = Math.round((Date.now() - started) / 1000);
    if (waited >= timeoutSeconds) {
      throw new Error(
        `another deploy holds the lock on ${host.label} (${holder}); gave up after ${waited}s (lock-timeout)`,
      );
    }
    if (holder !== lastHolder) core.info(`waiting for the deploy lock on ${host.label}: held by ${holder}`);
    lastHolder = holder;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function releaseLock(host: RemoteHost, held: Held, lockFile: string): Promise<void> {
  await host.run(['rm', '-f', `${lockFile}.owner`], { allowFailure: true });
  await held.close();
}

async function describeHolder(host: RemoteHost, lockFile: string): Promise<string> {
  const text = await host.readFile(`${lockFile}.owner`).catch(() => undefined);
  try {
    const owner = JSON.parse(text ?? '') as LockOwner;
    return `release ${owner.release} of ${owner.runUrl}, since ${owner.since}`;
  } catch {
    return 'a deploy that has not written its name yet';
  }
}
