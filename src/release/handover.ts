import type { DeployPlan } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';

export interface Switched {
  host: RemoteHost;
  previous: string | undefined;
}

/**
 * Points nginx at the new container: write the site file, `nginx -t`, then a graceful reload. When the
 * test fails the previous file is put back, so nginx keeps serving the old release.
 */
export async function switchTraffic(
  host: RemoteHost,
  plan: DeployPlan,
  upstreamPort: number,
): Promise<Switched> {
  const previous = await host.readFile(plan.proxy.file);
  await host.writeFile(plan.proxy.file, plan.proxy.content(upstreamPort), '644');
  const test = await host.run(plan.proxy.testCommand, { allowFailure: true });
  if (test.code !== 0) {
    await restoreFile(host, plan, previous);
    const output = `${test.stderr}${test.stdout}`.trim().split('\n').slice(-5).join('\n');
    throw new Error(
      `nginx rejected the new configuration (${plan.proxy.file}), previous file restored:\n${output}`,
    );
  }
  await host.run(plan.proxy.reloadCommand);
  return { host, previous };
}

/** Undoes a switch on a host whose neighbour failed, so all hosts serve the same release. */
export async function revertTraffic({ host, previous }: Switched, plan: DeployPlan): Promise<void> {
  await restoreFile(host, plan, previous);
  await host.run(plan.proxy.reloadCommand);
}

async function restoreFile(host: RemoteHost, plan: DeployPlan, previous: string | undefined): Promise<void> {
  if (previous === undefined) await host.run(['rm', '-f', plan.proxy.file]);
  else await host.writeFile(plan.proxy.file, previous, '644');
}
