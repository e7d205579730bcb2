import * as core from '@actions/core';
import * as docker from '../commands/docker';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { ConfigError } from '../errors';
import { step } from '../log';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import { toShell } from '../remote/shell';
import type { RemoteHost } from '../remote/ssh';
import { phaseTimer } from './deploy';
import { checkIsPreview } from './preview-guards';
import { lockedSession, onEachHost } from './session';

// Removes the site file, then tests and reloads nginx; if the test fails the file is put back.
const UNPUBLISH =
  '[ -e "$1" ] || exit 0; mv -f "$1" "$1.baton-removed" || exit 97; ' +
  'if eval "$2"; then rm -f "$1.baton-removed"; eval "$3" || exit 99; else mv -f "$1.baton-removed" "$1"; exit 98; fi';

/**
 * Removes the app from every host: containers, images, nginx file (tested, reloaded), env files, state.
 * A pull request's preview needs no confirmation: closing the PR is the confirmation.
 */
export async function destroy(config: Config, context: RunContext): Promise<void> {
  if (!config.preview && config.confirm !== config.app) {
    throw new ConfigError(
      `destroy removes ${config.app} from every host: set confirm: ${config.app} to go ahead`,
      {
        kind: 'input',
        name: 'confirm',
      },
    );
  }
  const plan = planDeploy(config, context, new Date());
  const { timed } = phaseTimer();
  const hosts = await lockedSession(config, plan, `destroy of ${plan.app}`, timed, async (hosts) => {
    const preview = config.preview;
    if (preview) await timed('Check', () => onEachHost(hosts, (host) => checkIsPreview(host, preview)));
    await timed('Destroy', () => removeApp(hosts, plan));
    return hosts;
  });
  core.info(`Destroyed ${plan.app} on ${hosts.length} host(s)`);
}

type AppPlace = Pick<DeployPlan, 'app' | 'appDir' | 'proxy' | 'container'>;

/** The work of destroy on hosts already connected and locked for the app. */
export async function removeApp(hosts: RemoteHost[], plan: AppPlace): Promise<void> {
  await onEachHost(hosts, async (host) => {
    await step('removed the nginx site', () => unpublish(host, plan.proxy), host.label);
    await step(
      'removed containers and images',
      () => removeContainers(host, plan.app, plan.container.labels['baton.preview-of']),
      host.label,
    );
    await step(`removed ${plan.appDir}`, () => removeState(host, plan.appDir), host.label);
  });
}

async function unpublish(
  host: RemoteHost,
  proxy: { file: string; testCommand: string[]; reloadCommand: string[] },
) {
  const args = [proxy.file, toShell(proxy.testCommand), toShell(proxy.reloadCommand)];
  const result = await host.run(['sh', '-c', UNPUBLISH, 'baton-unpublish', ...args], { allowFailure: true });
  if (result.code === 0) return;
  const output = `${result.stderr}${result.stdout}`.trim().split('\n').slice(-5).join('\n');
  throw new Error(`could not remove ${proxy.file} from nginx (exit ${result.code}), file kept:\n${output}`);
}

/** A preview's removal takes only containers labelled as previews. */
async function removeContainers(host: RemoteHost, app: string, previewOf: string | undefined) {
  const names = (await host.run(docker.appContainers(app, 'all', previewOf))).stdout
    .split('\n')
    .filter((name) => name.trim());
  if (names.length === 0) return;
  const described = await host.run(docker.describeContainers(names), { allowFailure: true });
  const images = [
    ...new Set(
      described.stdout
        .split('\n')
        .map((line) => line.trim().split(' ')[2])
        .filter(Boolean),
    ),
  ];
  await host.run(['docker', 'rm', '--force', '--volumes', ...names]);
  if (images.length) await host.run(docker.removeImages(images as string[]), { allowFailure: true });
}

async function removeState(host: RemoteHost, appDir: string) {
  // The lock file goes with the directory; our lock stays valid until released (flock holds the inode).
  await host.run(['rm', '-rf', appDir]);
}
