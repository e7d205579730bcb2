import * as core from '@actions/core';
import type { Config } from '../config';
import type { RemoteHost } from '../remote/ssh';
import { connectAll, onEachHost } from './hosts';
import { acquireLock, type Lock, type LockOwner } from './lock';

/** Opens one SSH connection per host and logs what the user should know about each. */
export async function connect(config: Config): Promise<RemoteHost[]> {
  const hosts = await connectAll(config);
  for (const host of hosts) {
    if (host.note) core.warning(host.note);
    core.info(`✓ connected to ${host.label}`);
  }
  return hosts;
}

export function disconnect(hosts: RemoteHost[]): void {
  for (const host of hosts) host.dispose();
}

/**
 * Takes the app's deploy lock on every host, waiting up to lock-timeout. One host after the other, in
 * the same order for every deploy, so that two deploys to several hosts cannot deadlock.
 */
export async function lockAll(
  hosts: RemoteHost[],
  appDir: string,
  owner: LockOwner,
  timeoutSeconds: number,
): Promise<Lock> {
  const locks: Lock[] = [];
  const release = async () => {
    await Promise.all(locks.map((lock) => lock.release().catch(() => undefined)));
  };
  try {
    for (const host of hosts) {
      locks.push(await acquireLock(host, appDir, owner, timeoutSeconds));
      core.info(`✓ holding the deploy lock on ${host.label}`);
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

/**
 * Connect, take the app's lock on every host, do the work, let go, disconnect: the frame of every
 * command that changes hosts. `what` names the holder in the lock, e.g. "rollback of web".
 */
export async function lockedSession<T>(
  config: Config,
  plan: { appDir: string; lockTimeoutSeconds: number; run: { url: string } },
  what: string,
  timed: <R>(name: string, work: () => Promise<R>) => Promise<R>,
  work: (hosts: RemoteHost[]) => Promise<T>,
): Promise<T> {
  const hosts = await timed('Connect', () => connect(config));
  try {
    const owner = { runUrl: plan.run.url, release: what, since: new Date().toISOString() };
    const locks = await timed('Lock', () => lockAll(hosts, plan.appDir, owner, plan.lockTimeoutSeconds));
    try {
      return await work(hosts);
    } finally {
      await locks.release();
    }
  } finally {
    disconnect(hosts);
  }
}

export { onEachHost };
