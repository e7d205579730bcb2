import * as core from '@actions/core';
import { userConfigDir, userCredentials } from '../build/docker-config';
import { containerUp } from '../checks/probes';
import { ChecksFailedError } from '../checks/run';
import { parseImage } from '../config/image';
import { BatonError } from '../errors';
import type { Server } from '../fleet';
import { removeFiles } from '../host/state';
import type { Credentials } from '../model/container';
import type { DeployPlan } from '../plan/deploy';
import type { Secrets } from '../secrets';

/** A container that came up: the loopback port the engine published for it, and when it started. */
export interface Started {
  port: number;
  startedAt: number;
}

/**
 * The credentials hosts pull with: the inputs' (registry-username/-password), else the runner's own
 * login to the image's registry (e.g. by docker/login-action), else none.
 */
export function pullCredentials(plan: DeployPlan, secrets: Secrets): Credentials | undefined {
  if (plan.registry) return plan.registry;
  const server = parseImage(plan.image, { kind: 'input', name: 'image' }).registry;
  const found = userCredentials(userConfigDir(), server);
  if (!found) return undefined;
  secrets.register(found.password);
  core.info(`hosts pull with the runner's docker login to ${server} (no registry-password given)`);
  return found;
}

/**
 * Pulls the release image on a server, logged in (when there are credentials) only for the pull: the
 * login's config dir is removed with it.
 */
export async function pullImage(server: Server, plan: DeployPlan, auth?: Credentials): Promise<void> {
  const login = auth && {
    ...auth,
    configDir: plan.dockerConfigDir,
    legacyDir: `${plan.appDir}/docker-config`,
  };
  await server.runtime.pull(plan.image, login);
}

/** Starts the new container beside the old one; returns the loopback port and the start time. */
export async function startContainer(server: Server, plan: DeployPlan): Promise<Started> {
  const { name, appPort } = plan.container;
  if (plan.envFile) {
    await server.shell.writeFile(plan.envFile.path, plan.envFile.content, '600', { mkdir: true });
  }
  const startedAt = Date.now();
  await server.runtime.run(plan.container);
  const port = await server.runtime.publishedPort(name, appPort);
  if (port) return { port, startedAt };
  const state = await containerUp({ runtime: server.runtime, container: name });
  const why = state.ok ? 'the engine published no loopback port' : `${state.got} right after it started`;
  const log = await server.runtime.logs(name, 100);
  throw new ChecksFailedError(`${name}: ${why}`, name, log, []);
}

/** Starts an earlier release's stopped container again (a rollback). */
export async function restartContainer(server: Server, name: string, appPort: number): Promise<Started> {
  if (!(await server.runtime.state(name)))
    throw new BatonError(`the container ${name} is gone from ${server.label} (pruned: see keep-releases)`);
  const startedAt = Date.now();
  await server.runtime.start(name);
  const port = await server.runtime.publishedPort(name, appPort);
  if (!port) throw new BatonError(`the engine published no loopback port for ${name}`);
  return { port, startedAt };
}

/** Removes a release that never took traffic: its container and its env file. */
export async function discardContainer(server: Server, plan: DeployPlan): Promise<void> {
  await server.runtime.remove([plan.container.name]).catch(() => undefined);
  if (plan.envFile) await removeFiles(server.shell, [plan.envFile.path]);
}
