import { containerProblem, notReady } from '../checks/readiness';
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

/** Starts the new container beside the old one and returns the loopback port Docker picked. */
export async function startContainer(host: RemoteHost, plan: DeployPlan): Promise<number> {
  if (plan.envFile) {
    await host.run(['mkdir', '-p', '-m', '700', plan.appDir]);
    await host.writeFile(plan.envFile.path, plan.envFile.content, '600');
  }
  await host.run(docker.run(plan.container));
  const result = await host.run(docker.port(plan.container.name, plan.container.appPort), {
    allowFailure: true,
  });
  const problem = result.code === 0 ? undefined : await containerProblem(host, plan.container.name);
  if (problem) throw await notReady(host, plan.container.name, `${problem} right after it started`);
  const match = /127\.0\.0\.1:(\d+)/.exec(result.stdout);
  if (!match?.[1])
    throw new Error(
      `Docker published no loopback port for ${plan.container.name}: "${result.stdout.trim()}"`,
    );
  return Number(match[1]);
}

/** Removes a release that never took traffic: its container and its env file. */
export async function discardContainer(host: RemoteHost, plan: DeployPlan): Promise<void> {
  await host.run(docker.remove(plan.container.name), { allowFailure: true });
  if (plan.envFile) await host.run(['rm', '-f', plan.envFile.path], { allowFailure: true });
}

/** Schedules the app's other containers to stop after the retire delay, without waiting for it. */
export async function retireOthers(host: RemoteHost, plan: DeployPlan): Promise<string[]> {
  const result = await host.run(docker.appContainers(plan.app));
  const others = result.stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => name && name !== plan.container.name);
  if (others.length) await host.run(docker.retireLater(plan.retireAfterSeconds, others));
  return others;
}
