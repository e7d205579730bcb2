import * as core from '@actions/core';
import * as docker from '../commands/docker';
import { siteRelease } from '../proxy/nginx';
import type { RemoteHost } from '../remote/ssh';
import { type History, setCurrent, writeRecord } from './history';

/** A release whose deploy ended without finishing (killed, or its runner died), and where nginx lives. */
export interface Unfinished {
  appDir: string;
  release: string;
  container: string;
  proxy: { file: string; testCommand: string[]; reloadCommand: string[] };
}

/**
 * Settles what a dead deploy left on a host, under the app's lock. The live nginx file says whether the
 * hand-over happened: if it routes to the release, the release is kept, made current and recorded done
 * (nginx is reloaded, in case the deploy died between the swap and the reload). Otherwise its container,
 * env file and staged site file are removed and it is recorded cancelled. Never removes what serves.
 */
export async function settleUnfinished(
  host: RemoteHost,
  unfinished: Unfinished,
  history: History,
  why: string,
): Promise<'finished' | 'removed'> {
  const { appDir, release, container, proxy } = unfinished;
  const record = history.releases.find((entry) => entry.id === release);
  const finishedAt = new Date().toISOString();
  const live = siteRelease(await host.readFile(proxy.file));
  if (live === release || history.current === release) {
    const test = await host.run(proxy.testCommand, { allowFailure: true });
    if (test.code === 0) await host.run(proxy.reloadCommand, { allowFailure: true });
    else core.warning(`nginx on ${host.label} rejects its configuration: ${test.stderr.trim()}`);
    await setCurrent(host, appDir, release);
    if (record && record.outcome !== 'done')
      await writeRecord(host, appDir, { ...record, outcome: 'done', finishedAt });
    core.info(
      `release ${release} on ${host.label} took traffic before ${why}: kept it as the current release`,
    );
    return 'finished';
  }
  await host.run(docker.remove(container), { allowFailure: true });
  await host.run(['rm', '-f', `${appDir}/${release}.env`, `${proxy.file}.next`], { allowFailure: true });
  if (record?.outcome === 'running') {
    const error = `the deploy ended before the hand-over (${why})`;
    await writeRecord(host, appDir, { ...record, outcome: 'cancelled', error, finishedAt });
  }
  core.info(
    `release ${release} on ${host.label} never took traffic (${why}): removed ${container}, recorded as cancelled`,
  );
  return 'removed';
}
