import { containerUp } from '../checks/probes';
import { ChecksFailedError } from '../checks/run';
import * as docker from '../commands/docker';
import type { DeployPlan } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';

/** Logs in (when credentials are given) and pulls the release image on a host. */
export async function pullImage(host: RemoteHost, plan: DeployPlan): Promise<void> {
  let configDir: string | undefined;
  if (plan.registry) {
    configDir = plan.dockerConfigDir;
    await host.run(['mkdir', '-p', '-m', '700', plan.appDir, configDir]);
    await host.run(docker.login(configDir, plan.registry.server, plan.registry.username), {
      stdin: plan.registry.password,
    });
  }
  await host.run(docker.pull(configDir, plan.image));
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
    `${log.stdout}${log.stderr}`.trimEnd(),
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
