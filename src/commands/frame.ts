import type { Config } from '../config';
import type { RunContext } from '../config/context';
import * as core from '@actions/core';
import { connect, type Fleet, lockAll, onEachServer, type Server } from '../fleet';
import { cooldownFiles } from '../host/state';
import { type Lock, lockOwner } from '../host/lock';
import { phaseTimer, type Timed } from '../log';
import type { HostSpec } from '../model/host';
import type { AppPlace } from '../plan/place';
import type { Secrets } from '../secrets';
import type { DeploymentRef } from '../traffic/types';

/** What every command runs with: its settings, the run's facts, its secrets, its timed phases. */
export interface Frame {
  config: Config;
  context: RunContext;
  secrets: Secrets;
  phases: ReturnType<typeof phaseTimer>['phases'];
  timed: Timed;
  /** Opens the connections to hosts (SSH with the configured drivers; fakes in unit tests). */
  connect(hosts: HostSpec[]): Promise<Fleet>;
  /** Tells GitHub where a deploy is (the deployment status); never throws. */
  progress(description: string): Promise<void>;
  /** This run's GitHub deployment, once created, for a host that reports to it itself. */
  deployment?(): DeploymentRef | undefined;
}

export function createFrame(config: Config, context: RunContext, secrets: Secrets): Frame {
  return {
    config,
    context,
    secrets,
    ...phaseTimer(),
    connect: (hosts) => connect(config, hosts),
    progress: async () => undefined,
  };
}

/** Connect (a phase), do the work, disconnect whatever happens. */
export async function withServers<T>(
  frame: Frame,
  work: (servers: Server[]) => Promise<T>,
  hosts: HostSpec[] = frame.config.hosts,
): Promise<T> {
  const fleet = await frame.timed('Connect', () => frame.connect(hosts));
  try {
    return await work(fleet.servers);
  } finally {
    fleet.disconnect();
  }
}

/**
 * Takes the app's lock on every server (the Lock phase, waiting up to lock-timeout unless told
 * otherwise). `holder` names this run in the lock: a release id, "rollback of web", ….
 */
export function lock(
  frame: Frame,
  servers: Server[],
  place: AppPlace,
  holder: string,
  timeoutSeconds = place.lockTimeoutSeconds,
): Promise<Lock> {
  const owner = lockOwner(place.runUrl, holder);
  return frame.timed('Lock', () => lockAll(servers, place.appDir, owner, timeoutSeconds));
}

/** Holds the app's lock on the servers while the work runs. */
export async function withLock<T>(
  frame: Frame,
  servers: Server[],
  place: AppPlace,
  holder: string,
  work: () => Promise<T>,
): Promise<T> {
  const held = await lock(frame, servers, place, holder);
  try {
    await onEachServer(servers, (server) => endHostWatch(server, place));
    return await work();
  } finally {
    await held.unlock();
  }
}

/**
 * A canary's cooldown watch on the host (canary-cooldown-watch: host) acts on the app without the lock:
 * any command that takes the lock stops it first, and says how the last one ended.
 */
async function endHostWatch(server: Server, place: AppPlace): Promise<void> {
  const ended = await server.proxy.stopHostWatch(place.app, cooldownFiles(place.appDir));
  if (!ended) return;
  const [first = '', ...rest] = ended.split('\n');
  const outcome = first === 'stopped' ? rest.join(' ') : ended;
  if (first === 'stopped')
    core.info(`stopped the cooldown watch still running on ${server.label}: this run replaces it`);
  if (outcome) core.info(`the last cooldown watch on ${server.label}: ${outcome}`);
}

/** Connect, take the app's lock on every host, do the work, let go, disconnect. */
export function lockedSession<T>(
  frame: Frame,
  place: AppPlace,
  holder: string,
  work: (servers: Server[]) => Promise<T>,
): Promise<T> {
  return withServers(frame, (servers) => withLock(frame, servers, place, holder, () => work(servers)));
}
