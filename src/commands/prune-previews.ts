import * as core from '@actions/core';
import type { Config } from '../config';
import { applyPreview, previewApp } from '../config/preview';
import { onEachServer, type Server } from '../fleet';
import { checkIsPreview, previewsOn } from '../lifecycle/previews';
import { removeApp } from '../lifecycle/remove';
import { placeOf } from '../plan/place';
import { type Frame, withLock, withServers } from './frame';

/** What prune-previews found for one pull request, and what it did. */
export interface PreviewFound {
  number: number;
  app: string;
  hosts: string[];
  state: 'open' | 'closed' | 'unknown';
  removed: boolean;
}

/** What prune-previews asks GitHub: whether a PR is closed, and to report a removal (deployments, comment). */
export interface PullRequests {
  state(number: number): Promise<'open' | 'closed' | 'unknown'>;
  removed(preview: Config): Promise<void>;
}

/** Removes previews whose pull requests are closed, for when a close event was missed. */
export async function prunePreviews(frame: Frame, pulls: PullRequests): Promise<PreviewFound[]> {
  const { config, timed } = frame;
  const hosts = config.previews.hosts.length ? config.previews.hosts : config.hosts;
  return withServers(
    frame,
    async (servers) => {
      const found = await timed('Find', () => findPreviews(servers, config));
      await timed('Prune', async () => {
        for (const preview of found) await pruneOne(frame, servers, preview, pulls);
      });
      return found;
    },
    hosts,
  );
}

async function pruneOne(frame: Frame, servers: Server[], preview: PreviewFound, pulls: PullRequests) {
  preview.state = await pulls.state(preview.number);
  core.info(`#${preview.number} (${preview.app} on ${preview.hosts.join(', ')}): ${preview.state}`);
  if (preview.state !== 'closed') return;
  const on = servers.filter((server) => preview.hosts.includes(server.label));
  const target = {
    number: preview.number,
    base: frame.config.app,
    app: preview.app,
    domain: '',
    remove: true,
  };
  const config = applyPreview(frame.config, target);
  const place = placeOf(config, frame.context);
  await withLock(frame, on, place, 'prune-previews', async () => {
    await onEachServer(on, (server) => checkIsPreview(server, target));
    await removeApp(on, place);
  });
  preview.removed = true;
  await pulls.removed(config);
}

async function findPreviews(servers: Server[], config: Config): Promise<PreviewFound[]> {
  const byNumber = new Map<number, PreviewFound>();
  const perServer = await onEachServer(servers, (server) => previewsOn(server, config, 'all'));
  perServer.forEach((numbers, index) => {
    for (const number of numbers) {
      const entry = byNumber.get(number) ?? {
        number,
        app: previewApp(config.app, number),
        hosts: [],
        state: 'unknown' as const,
        removed: false,
      };
      entry.hosts.push((servers[index] as Server).label);
      byNumber.set(number, entry);
    }
  });
  const found = [...byNumber.values()].sort((a, b) => a.number - b.number);
  core.info(
    `✓ ${found.length} preview(s) of ${config.app}: ${found.map((p) => `#${p.number}`).join(', ') || 'none'}`,
  );
  return found;
}
