import * as core from '@actions/core';
import type { Server } from '../fleet';
import { envFile, readHistory, releasesDir, removeFiles } from '../host/state';
import { type History, oldRecords, retained } from '../model/release';

/**
 * Keeps the containers, images and env files of the current release and the last `keep` successful
 * ones of this app (for rollbacks), and removes the rest once stopped. Scoped to the app's own label, so
 * one app's deploys never prune another app's (a preview's, a staging's) releases.
 */
export async function prune(server: Server, app: string, appDir: string, keep: number): Promise<string[]> {
  const history = await readHistory(server.shell, appDir);
  const keepIds = retained(history, keep);
  const containers = await server.runtime.list({ app });
  // A running container is never pruned: it may be retiring, still finishing requests in flight.
  const doomed = containers.filter((container) => !keepIds.has(container.release) && !container.running);
  const keptImages = new Set(containers.filter((c) => !doomed.includes(c)).map((c) => c.image));
  for (const container of doomed) await server.runtime.remove([container.name]).catch(() => undefined);
  const images = [...new Set(doomed.map((container) => container.image))].filter((id) => !keptImages.has(id));
  await server.runtime.removeImages(images);
  const gone = doomed.map((container) => container.release);
  await removeFiles(server.shell, staleFiles(appDir, history, keepIds, gone));
  if (doomed.length)
    core.info(`✓ pruned ${doomed.map((container) => container.name).join(', ')} on ${server.label}`);
  return gone;
}

/** Env files of releases not kept, and records beyond the newest ones. */
function staleFiles(appDir: string, history: History, keep: Set<string>, gone: string[]): string[] {
  const envFiles = [...new Set([...gone, ...history.releases.map((release) => release.id)])]
    .filter((id) => !keep.has(id))
    .map((id) => envFile(appDir, id));
  const records = oldRecords(history, keep).map((record) => `${releasesDir(appDir)}/${record.id}.json`);
  return [...envFiles, ...records];
}
