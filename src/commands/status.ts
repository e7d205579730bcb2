import * as core from '@actions/core';
import { onEachServer } from '../fleet';
import { readHistory } from '../host/state';
import type { History } from '../model/release';
import { placeOf } from '../plan/place';
import { type Frame, withServers } from './frame';

export interface HostStatus {
  host: string;
  history: History;
}

/** Reads the current release and the history of the app on every host, and prints them as tables. */
export async function status(frame: Frame): Promise<HostStatus[]> {
  const { appDir, app } = placeOf(frame.config, frame.context);
  return withServers(frame, async (servers) => {
    const histories = await onEachServer(servers, (server) => readHistory(server.shell, appDir));
    const result = servers.map((server, index) => ({
      host: server.label,
      history: histories[index] as History,
    }));
    for (const entry of result) printHistory(app, entry);
    return result;
  });
}

export function historyRows(history: History): string[][] {
  return history.releases.map((release) => [
    `${release.id === history.current ? '* ' : '  '}${release.id}`,
    release.outcome,
    release.image,
    release.commit.slice(0, 7),
    release.actor,
    release.startedAt,
    release.finishedAt ?? '',
  ]);
}

function printHistory(app: string, { host, history }: HostStatus): void {
  core.startGroup(`${app} on ${host}: current release ${history.current ?? '(none)'}`);
  const header = ['release', 'outcome', 'image', 'commit', 'actor', 'started', 'finished'];
  const rows = [header, ...historyRows(history)];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows)
    core.info(
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  if (history.releases.length === 0) core.info('(no releases)');
  core.endGroup();
}
