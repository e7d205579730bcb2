import * as core from '@actions/core';
import * as docker from '../commands/docker';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { applyPreview, type PreviewTarget, previewApp, previewNumber } from '../config/preview';
import { PhaseError } from '../errors';
import { planDeploy } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';
import { removeApp } from './destroy';
import { checkHostName, checkIsPreview, notPreviewsOf } from './preview-guards';
import type { Timed } from './rollout';
import { connect, disconnect, lockAll, onEachHost } from './session';

/** What prune-previews found for one pull request, and what it did. */
export interface PreviewFound {
  number: number;
  app: string;
  hosts: string[];
  state: 'open' | 'closed' | 'unknown';
  removed: boolean;
}

/**
 * The numbers of the pull requests that have a preview (running or not) of `base` on the host: containers
 * labelled as its previews, and (for 'all') state dirs named like one, unless containers of that name are
 * not labelled as previews (an app that happens to be called base-pr-N).
 */
export async function previewsOn(
  host: RemoteHost,
  config: Config,
  only: 'all' | 'running',
): Promise<number[]> {
  const base = config.preview?.base ?? config.app;
  const labels = (await host.run(docker.previewContainers(base, only))).stdout.split('\n');
  const dirs = only === 'all' ? await previewDirs(host, config.stateDir, base) : [];
  const numbers = [...labels, ...dirs].map((name) => previewNumber(base, name.trim()));
  return [...new Set(numbers.filter((n): n is number => n !== undefined))].sort((a, b) => a - b);
}

async function previewDirs(host: RemoteHost, stateDir: string, base: string): Promise<string[]> {
  const apps = await notPreviewsOf(host, base);
  const dirs = (await host.run(['ls', '-1', '--', stateDir], { allowFailure: true })).stdout.split('\n');
  return dirs.map((dir) => dir.trim()).filter((dir) => !apps.has(dir));
}

/**
 * Before a preview is deployed, on each host: its app name is no other app's, its host name is no other
 * site's, and fewer than max-previews others of the app run there.
 */
export async function checkCapacity(hosts: RemoteHost[], config: Config): Promise<void> {
  const preview = config.preview;
  if (!preview) return;
  await onEachHost(hosts, async (host) => {
    await checkIsPreview(host, preview);
    await checkHostName(host, config.proxy.confDir, preview);
    await checkMax(host, config, preview);
  });
}

async function checkMax(host: RemoteHost, config: Config, preview: PreviewTarget): Promise<void> {
  const max = config.previews.max;
  if (max === 0) return;
  const running = await previewsOn(host, config, 'running');
  const others = running.filter((n) => n !== preview.number);
  // An update of a live preview never counts against the cap.
  if (others.length < max || running.includes(preview.number)) {
    core.info(
      `✓ ${others.length} other preview(s) of ${preview.base} on ${host.label} (max-previews: ${max})`,
    );
    return;
  }
  const list = others.map((n) => `#${n}`).join(', ');
  throw new PhaseError(
    'Capacity',
    `${others.length} previews of ${preview.base} already run here (max-previews: ${max}): ${list}. ` +
      'Close one of those pull requests, run command: prune-previews to remove the closed ones, or raise max-previews',
    host.label,
  );
}

/**
 * Removes previews whose pull requests are closed, for when a close event was missed. `pullState` asks
 * GitHub; `removed` reports a removal there (deployments inactive, PR comment).
 */
export async function prunePreviews(
  config: Config,
  context: RunContext,
  timed: Timed,
  github: {
    pullState(number: number): Promise<'open' | 'closed' | 'unknown'>;
    removed(preview: Config): Promise<void>;
  },
): Promise<PreviewFound[]> {
  const scope = { ...config, hosts: config.previews.hosts.length ? config.previews.hosts : config.hosts };
  const hosts = await timed('Connect', () => connect(scope));
  try {
    const found = await timed('Find', () => findPreviews(hosts, config));
    await timed('Prune', async () => {
      for (const preview of found) {
        preview.state = await github.pullState(preview.number);
        core.info(`#${preview.number} (${preview.app} on ${preview.hosts.join(', ')}): ${preview.state}`);
        if (preview.state !== 'closed') continue;
        const on = hosts.filter((host) => preview.hosts.includes(host.label));
        const previewConfig = applyPreview(config, {
          number: preview.number,
          base: config.app,
          app: preview.app,
          domain: '',
          remove: true,
        });
        await removeLocked(on, previewConfig, context);
        preview.removed = true;
        await github.removed(previewConfig);
      }
    });
    return found;
  } finally {
    disconnect(hosts);
  }
}

async function findPreviews(hosts: RemoteHost[], config: Config): Promise<PreviewFound[]> {
  const byNumber = new Map<number, PreviewFound>();
  const perHost = await onEachHost(hosts, (host) => previewsOn(host, config, 'all'));
  perHost.forEach((numbers, index) => {
    for (const number of numbers) {
      const entry = byNumber.get(number) ?? {
        number,
        app: previewApp(config.app, number),
        hosts: [],
        state: 'unknown' as const,
        removed: false,
      };
      entry.hosts.push((hosts[index] as RemoteHost).label);
      byNumber.set(number, entry);
    }
  });
  const found = [...byNumber.values()].sort((a, b) => a.number - b.number);
  core.info(
    `✓ ${found.length} preview(s) of ${config.app}: ${found.map((p) => `#${p.number}`).join(', ') || 'none'}`,
  );
  return found;
}

async function removeLocked(hosts: RemoteHost[], config: Config, context: RunContext): Promise<void> {
  const plan = planDeploy(config, context, new Date());
  const owner = { runUrl: plan.run.url, release: `prune-previews`, since: new Date().toISOString() };
  const locks = await lockAll(hosts, plan.appDir, owner, plan.lockTimeoutSeconds);
  try {
    const preview = config.preview as PreviewTarget;
    await onEachHost(hosts, (host) => checkIsPreview(host, preview));
    await removeApp(hosts, plan);
  } finally {
    await locks.release();
  }
}
