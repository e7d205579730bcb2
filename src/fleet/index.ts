import * as core from '@actions/core';
import type { Config } from '../config';
import { BatonError, errorMessage } from '../errors';
import { type Lock, acquireLock, type LockOwner } from '../host/lock';
import { RemoteHost } from '../host/ssh';
import { hostLabel, type HostSpec } from '../model/host';
import { createProxy } from '../proxy';
import { createRuntime } from '../runtime';
import type { Server } from './server';

export type { Server } from './server';

/** An open connection to every host of a command, and how to close them. */
export interface Fleet {
  servers: Server[];
  disconnect(): void;
}

/**
 * Opens one SSH connection per host (if any fails, closes the others), with the drivers that run there:
 * the docker CLI and nginx today. Logs what the user should know about each.
 */
export async function connect(config: Config, hosts: HostSpec[] = config.hosts): Promise<Fleet> {
  const policy = { knownHosts: config.ssh.knownHosts, trustFirstUse: config.ssh.trustFirstUse };
  const results = await Promise.allSettled(
    hosts.map((spec) => RemoteHost.connect(spec, config.ssh, policy).catch(tagWithHost(hostLabel(spec)))),
  );
  const connected = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const disconnect = () => {
    for (const host of connected) host.dispose();
  };
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    disconnect();
    throw failure.reason;
  }
  const proxyName = config.proxy.handover === 'reload' ? 'nginx-reload' : 'nginx';
  const servers = connected.map((shell) => ({
    label: shell.label,
    shell,
    runtime: createRuntime('docker-cli', shell),
    proxy: createProxy(proxyName, shell, config.proxy),
  }));
  for (const { shell: host, proxy } of servers) {
    if (host.note) core.warning(host.note);
    core.info(`✓ connected to ${host.label}; traffic moves with ${proxy.name}`);
  }
  return { servers, disconnect };
}

/** Runs the same work on every server at once; a failure names the host it happened on. */
export async function onEachServer<T>(servers: Server[], work: (server: Server) => Promise<T>): Promise<T[]> {
  const results = await Promise.allSettled(
    servers.map((server) => work(server).catch(tagWithHost(server.label))),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/**
 * Takes the app's deploy lock on every server, waiting up to `timeoutSeconds`. One server after the
 * other, in the same order for every deploy, so that two deploys to several hosts cannot deadlock.
 */
export async function lockAll(
  servers: Server[],
  appDir: string,
  owner: LockOwner,
  timeoutSeconds: number,
): Promise<Lock> {
  const locks: Lock[] = [];
  const unlock = async () => {
    await Promise.all(locks.map((lock) => lock.unlock().catch(() => undefined)));
  };
  try {
    for (const server of servers) {
      locks.push(await acquireLock(server.shell, appDir, owner, timeoutSeconds));
      core.info(`✓ holding the deploy lock on ${server.label}`);
    }
  } catch (error) {
    await unlock();
    throw error;
  }
  return { unlock };
}

function tagWithHost(label: string) {
  return (error: unknown): never => {
    const message = errorMessage(error);
    throw new BatonError(message.includes(label) ? message : `${label}: ${message}`, { cause: error });
  };
}
