import { containerUp } from '../checks/probes';
import { ChecksFailedError } from '../checks/run';
import * as docker from '../commands/docker';
import * as core from '@actions/core';
import { type Credentials, userConfigDir, userCredentials } from '../build/docker-config';
import type { DeployPlan } from '../plan/deploy';
import { parseImage } from '../config/image';
import { type RemoteHost, RemoteCommandError } from '../remote/ssh';
import { registerSecret } from '../secrets';

/**
 * Pulls the release image on a host, logged in (when there are credentials) only for the pull: the
 * login's config dir is removed with it.
 */
export async function pullImage(host: RemoteHost, plan: DeployPlan, auth?: Credentials): Promise<void> {
  if (!auth) {
    await host.run(docker.pull(plan.image));
    return;
  }
  const legacyDir = `${plan.appDir}/docker-config`;
  const dir = plan.dockerConfigDir;
  await host
    .run(docker.pullWithLogin(dir, legacyDir, auth.server, auth.username, plan.image), {
      stdin: auth.password,
    })
    .catch((error: unknown) => {
      if (!(error instanceof RemoteCommandError)) throw error;
      // The script is long and says little: name what it ran instead.
      const login = `docker --config ${dir} login --username ${auth.username} ${auth.server}`;
      throw new RemoteCommandError(`${login} && docker --config ${dir} pull ${plan.image}`, error.result);
    });
}

/**
 * The credentials hosts pull with: the inputs' (registry-username/-password), else the runner's own
 * login to the image's registry (e.g. by docker/login-action), else none.
 */
export function pullCredentials(plan: DeployPlan): Credentials | undefined {
  if (plan.registry) return plan.registry;
  const server = parseImage(plan.image, { kind: 'input', name: 'image' }).registry;
  const found = userCredentials(userConfigDir(), server);
  if (!found) return undefined;
  registerSecret(found.password);
  core.info(`hosts pull with the runner's docker login to ${server} (no registry-password given)`);
  return found;
}

/** Starts the new container beside the old one; returns the loopback port Docker picked and the start time. */
export async function startContainer(
  host: RemoteHost,
  plan: DeployPlan,
): Promise<{ port: number; startedAt: number }> {
  if (plan.envFile) {
    await host.writeFile(plan.envFile.path, plan.envFile.content, '600', { mkdir: true });
  }
  const startedAt = Date.now();
  await host.run(docker.run(plan.container));
  const result = await host.run(docker.port(plan.container.name, plan.container.appPort), {
    allowFailure: true,
  });
  const match = /127\.0\.0\.1:(\d+)/.exec(result.stdout);
  if (match?.[1]) return { port: Number(match[1]), startedAt };
  const state = await containerUp({ host, container: plan.container.name });
  const why = state.ok
    ? `Docker published no loopback port: "${result.stdout.trim()}"`
    : `${state.got} right after it started`;
  const log = await host.run(docker.logs(plan.container.name, 100), { allowFailure: true });
  throw new ChecksFailedError(
    `${plan.container.name}: ${why}`,
    plan.container.name,
    log.stdout.trimEnd(),
    [],
  );
}

/** Removes a release that never took traffic: its container and its env file. */
export async function discardContainer(host: RemoteHost, plan: DeployPlan): Promise<void> {
  await host.run(docker.remove(plan.container.name), { allowFailure: true });
  if (plan.envFile) await host.run(['rm', '-f', plan.envFile.path], { allowFailure: true });
}

/** Schedules the app's other running containers to stop after the retire delay, without waiting for it. */
export async function retireOthers(host: RemoteHost, plan: DeployPlan): Promise<string[]> {
  const result = await host.run(docker.appContainers(plan.app, 'running'));
  const others = result.stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => name && name !== plan.container.name);
  const currentFile = `${plan.appDir}/current`;
  if (others.length)
    await host.run(docker.retireLater(plan.retireAfterSeconds, currentFile, plan.app, others));
  return others;
}
