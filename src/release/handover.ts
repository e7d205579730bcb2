import type { DeployPlan } from '../plan/deploy';
import { toShell } from '../remote/shell';
import type { RemoteHost } from '../remote/ssh';

/** The new site file, written next to the live one before the checks end, and what it replaces. */
export interface Staged {
  host: RemoteHost;
  previous: string | undefined;
}

/** Writes the new site file beside the live one (`.next` is not included by nginx) while checks run. */
export async function stageSite(host: RemoteHost, plan: DeployPlan, upstreamPort: number): Promise<Staged> {
  const previous = await host.readFile(plan.proxy.file);
  await host.writeFile(nextFile(plan), plan.proxy.content(upstreamPort), '644');
  return { host, previous };
}

// One round trip at hand-over: move the staged file in, test, reload. The test and reload commands
// arrive as arguments already quoted by toShell, the one quoting function, and are run with eval.
const SWAP = 'mv -f "$1" "$2" || exit 97; eval "$3" || exit 98; eval "$4" || exit 99';

/**
 * Points nginx at the new container: move the staged file in, `nginx -t`, then a graceful reload. When
 * the test or the reload fails, the previous file is put back, so nginx keeps serving the old release.
 */
export async function switchTraffic(staged: Staged, plan: DeployPlan): Promise<void> {
  const { host } = staged;
  const argv = [
    nextFile(plan),
    plan.proxy.file,
    toShell(plan.proxy.testCommand),
    toShell(plan.proxy.reloadCommand),
  ];
  const result = await host.run(['sh', '-c', SWAP, 'baton-handover', ...argv], { allowFailure: true });
  if (result.code === 0) return;
  if (result.code !== 97) await restoreFile(host, plan, staged.previous);
  const output = `${result.stderr}${result.stdout}`.trim().split('\n').slice(-5).join('\n');
  const what =
    result.code === 98
      ? 'nginx rejected the new configuration'
      : result.code === 99
        ? 'the nginx reload failed'
        : 'could not put the new site file in place';
  throw new Error(`${what} (${plan.proxy.file}), previous file restored:\n${output}`);
}

/** Undoes a switch on a host whose neighbour failed, so all hosts serve the same release. */
export async function revertTraffic(staged: Staged, plan: DeployPlan): Promise<void> {
  await restoreFile(staged.host, plan, staged.previous);
  await staged.host.run(plan.proxy.reloadCommand);
}

/** Removes a staged file that never went live. */
export async function unstage(host: RemoteHost, plan: DeployPlan): Promise<void> {
  await host.run(['rm', '-f', nextFile(plan)], { allowFailure: true });
}

function nextFile(plan: DeployPlan): string {
  return `${plan.proxy.file}.next`;
}

async function restoreFile(host: RemoteHost, plan: DeployPlan, previous: string | undefined): Promise<void> {
  if (previous === undefined) await host.run(['rm', '-f', plan.proxy.file]);
  else await host.writeFile(plan.proxy.file, previous, '644');
}
