import * as core from '@actions/core';
import { errorMessage } from '../errors';
import type { Server } from '../fleet';
import { envFile, removeFiles, setCurrent, writeRecord } from '../host/state';
import type { History } from '../model/release';

/** A release whose deploy ended without finishing (killed, or its runner died). */
export interface Unfinished {
  app: string;
  appDir: string;
  release: string;
  container: string;
}

/**
 * Settles what a dead deploy left on a server, under the app's lock. The live route says whether the
 * hand-over happened: if it names the release, the release is kept, made current and recorded done (the
 * proxy is refreshed, in case the deploy died between the swap and the reload). Otherwise its container,
 * env file and staged route are removed and it is recorded cancelled. Never removes what serves.
 */
export async function settleUnfinished(
  server: Server,
  unfinished: Unfinished,
  history: History,
  why: string,
): Promise<'finished' | 'removed'> {
  const { app, appDir, release, container } = unfinished;
  const record = history.releases.find((entry) => entry.id === release);
  const finishedAt = new Date().toISOString();
  const live = (await server.proxy.describe(app)).release;
  if (live === release || history.current === release) {
    await server.proxy.refresh().catch((error: unknown) => core.warning(errorMessage(error)));
    await setCurrent(server.shell, appDir, release);
    if (record && record.outcome !== 'done')
      await writeRecord(server.shell, appDir, { ...record, outcome: 'done', finishedAt });
    core.info(
      `release ${release} on ${server.label} took traffic before ${why}: kept it as the current release`,
    );
    return 'finished';
  }
  await server.runtime.remove([container]).catch(() => undefined);
  await removeFiles(server.shell, [envFile(appDir, release)]);
  await server.proxy.discard(app);
  if (record?.outcome === 'running') {
    const error = `the deploy ended before the hand-over (${why})`;
    await writeRecord(server.shell, appDir, { ...record, outcome: 'cancelled', error, finishedAt });
  }
  core.info(
    `release ${release} on ${server.label} never took traffic (${why}): removed ${container}, recorded as cancelled`,
  );
  return 'removed';
}
