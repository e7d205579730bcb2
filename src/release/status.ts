import * as core from '@actions/core';
import type { Config } from '../config';
import { type History, readHistory } from './history';
import { connect, disconnect, onEachHost } from './session';

export interface HostStatus {
  host: string;
  history: History;
}

/** Reads the current release and the history of the app on every host, and prints them as tables. */
export async function status(config: Config): Promise<HostStatus[]> {
  const appDir = `${config.stateDir}/${config.app}`;
  const hosts = await connect(config);
  try {
    const histories = await onEachHost(hosts, (host) => readHistory(host, appDir));
    const result = hosts.map((host, index) => ({ host: host.label, history: histories[index] as History }));
    for (const entry of result) printHistory(config.app, entry);
    return result;
  } finally {
    disconnect(hosts);
  }
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
