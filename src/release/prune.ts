import * as core from '@actions/core';
import * as docker from '../commands/docker';
import type { RemoteHost } from '../remote/ssh';
import { type History, oldRecords, readHistory, releasesDir, retained } from './history';

/**
 * Keeps the containers, images and env files of the current release and the last `keep` successful
 * ones of this app (for rollbacks), and removes the rest once stopped. Scoped to the app's own label, so one app's
 * deploys never prune another app's (a preview's, a staging's) releases.
 */
export async function prune(host: RemoteHost, app: string, appDir: string, keep: number): Promise<string[]> {
  const history = await readHistory(host, appDir);
  const keepIds = retained(history, keep);
  const names = (await host.run(docker.appContainers(app))).stdout.split('\n').filter((name) => name.trim());
  const containers = names.length ? await describe(host, names) : [];
  // A running container is never pruned: it may be retiring, still finishing requests in flight.
  const doomed = containers.filter((container) => !keepIds.has(container.release) && !container.running);
  const keptImages = new Set(
    containers.filter((container) => !doomed.includes(container)).map((c) => c.image),
  );
  for (const container of doomed) await host.run(docker.remove(container.name), { allowFailure: true });
  const images = [...new Set(doomed.map((container) => container.image))].filter(
    (image) => !keptImages.has(image),
  );
  if (images.length) await host.run(docker.removeImages(images), { allowFailure: true });
  await removeFiles(
    host,
    appDir,
    history,
    keepIds,
    doomed.map((container) => container.release),
  );
  if (doomed.length)
    core.info(`✓ pruned ${doomed.map((container) => container.name).join(', ')} on ${host.label}`);
  return doomed.map((container) => container.release);
}

async function describe(host: RemoteHost, names: string[]) {
  const result = await host.run(docker.describeContainers(names), { allowFailure: true });
  return result.stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [name = '', release = '', image = '', running = ''] = line.trim().split(' ');
      return { name: name.replace(/^\//, ''), release, image, running: running === 'true' };
    });
}

async function removeFiles(
  host: RemoteHost,
  appDir: string,
  history: History,
  keep: Set<string>,
  gone: string[],
) {
  const envFiles = [...new Set([...gone, ...history.releases.map((release) => release.id)])]
    .filter((id) => !keep.has(id))
    .map((id) => `${appDir}/${id}.env`);
  const records = oldRecords(history, keep).map((record) => `${releasesDir(appDir)}/${record.id}.json`);
  const files = [...envFiles, ...records];
  if (files.length) await host.run(['rm', '-f', ...files], { allowFailure: true });
}
