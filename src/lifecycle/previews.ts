import * as core from '@actions/core';
import type { Config, PreviewTarget } from '../config';
import { previewNumber } from '../config/preview';
import { BatonError, PhaseError } from '../errors';
import type { Server } from '../fleet';
import { onEachServer } from '../fleet';

/**
 * The numbers of the pull requests that have a preview (running or not) of `base` on the server:
 * containers labelled as its previews, and (for 'all') state dirs named like one, unless containers of
 * that name are not labelled as previews (an app that happens to be called base-pr-N).
 */
export async function previewsOn(server: Server, config: Config, only: 'all' | 'running'): Promise<number[]> {
  const base = config.preview?.base ?? config.app;
  const labelled = await server.runtime.list({ previewOf: base, running: only === 'running' });
  const dirs = only === 'all' ? await previewDirs(server, config.stateDir, base) : [];
  const numbers = [...labelled.map((container) => container.app), ...dirs].map((name) =>
    previewNumber(base, name),
  );
  return [...new Set(numbers.filter((n): n is number => n !== undefined))].sort((a, b) => a - b);
}

async function previewDirs(server: Server, stateDir: string, base: string): Promise<string[]> {
  const apps = await notPreviewsOf(server, base);
  const listing = await server.shell.run(['ls', '-1', '--', stateDir], { allowFailure: true });
  return listing.stdout
    .split('\n')
    .map((dir) => dir.trim())
    .filter((dir) => !apps.has(dir));
}

/** The names of apps on the server with containers that are not previews of `base`. */
export async function notPreviewsOf(server: Server, base: string): Promise<Set<string>> {
  const containers = await server.runtime.list({ baton: true });
  return new Set(containers.filter((c) => c.app && c.previewOf !== base).map((c) => c.app));
}

/** Fails when the app a preview would use or remove is, on the server, an app of its own. */
export async function checkIsPreview(server: Server, preview: PreviewTarget): Promise<void> {
  if (!(await notPreviewsOf(server, preview.base)).has(preview.app)) return;
  throw new BatonError(
    `${preview.app} is an app of its own here, not a preview of ${preview.base}: Baton leaves it alone. ` +
      'Rename that app (names ending in -pr-<number> are kept for previews)',
  );
}

/**
 * Fails when another site already serves the preview's host name: a branch could otherwise name a
 * preview after production or another app ({branch}.example.com with branch www).
 */
export async function checkHostName(server: Server, preview: PreviewTarget): Promise<void> {
  const taken = await server.proxy.claimedBy(preview.domain, preview.app);
  if (!taken) return;
  throw new BatonError(
    `the preview host name ${preview.domain} is already served by ${taken}: Baton does not take it ` +
      'over. Rename the branch or change preview-domain',
  );
}

/**
 * Before a preview is deployed, on each server: its app name is no other app's, its host name is no
 * other site's, and fewer than max-previews others of the app run there.
 */
export async function checkCapacity(servers: Server[], config: Config): Promise<void> {
  const preview = config.preview;
  if (!preview) return;
  await onEachServer(servers, async (server) => {
    await checkIsPreview(server, preview);
    await checkHostName(server, preview);
    await checkMax(server, config, preview);
  });
}

async function checkMax(server: Server, config: Config, preview: PreviewTarget): Promise<void> {
  const max = config.previews.max;
  if (max === 0) return;
  const running = await previewsOn(server, config, 'running');
  const others = running.filter((n) => n !== preview.number);
  // An update of a live preview never counts against the cap.
  if (others.length < max || running.includes(preview.number)) {
    core.info(
      `✓ ${others.length} other preview(s) of ${preview.base} on ${server.label} (max-previews: ${max})`,
    );
    return;
  }
  const list = others.map((n) => `#${n}`).join(', ');
  throw new PhaseError(
    'Capacity',
    `${others.length} previews of ${preview.base} already run here (max-previews: ${max}): ${list}. ` +
      'Close one of those pull requests, run command: prune-previews to remove the closed ones, or raise max-previews',
    server.label,
  );
}
