import * as core from '@actions/core';
import * as docker from '../commands/docker';
import type { Config } from '../config';
import { readHistory, writeRecord } from './history';
import { connect, disconnect, onEachHost } from './session';

/** What a deploy has started on the hosts but not yet handed over; kept in the step's state. */
export interface InFlight {
  app: string;
  appDir: string;
  release: string;
  container: string;
}

const KEY = 'baton-in-flight';

export function markInFlight(value: InFlight | undefined): void {
  core.saveState(KEY, value ? JSON.stringify(value) : '');
}

/**
 * The post step: if the main step was killed (SIGKILL, runner crash) between starting the new container
 * and the hand-over, remove that container and record the release as cancelled. The deploy lock needs
 * nothing: it died with the killed step's SSH session.
 */
export async function cleanUpAfterKill(config: Config): Promise<void> {
  const state = core.getState(KEY);
  if (!state) return;
  const inFlight = JSON.parse(state) as InFlight;
  core.warning(
    `The deploy of ${inFlight.release} did not finish; removing its container if it never took traffic`,
  );
  const hosts = await connect(config);
  try {
    await onEachHost(hosts, async (host) => {
      const history = await readHistory(host, inFlight.appDir);
      if (history.current === inFlight.release) return;
      await host.run(docker.remove(inFlight.container), { allowFailure: true });
      await host.run(['rm', '-f', `${inFlight.appDir}/${inFlight.release}.env`], { allowFailure: true });
      const record = history.releases.find((release) => release.id === inFlight.release);
      if (record?.outcome === 'running') {
        const error = 'the deploy step was killed before the hand-over';
        await writeRecord(host, inFlight.appDir, {
          ...record,
          outcome: 'cancelled',
          error,
          finishedAt: new Date().toISOString(),
        });
      }
      core.info(`removed ${inFlight.container} from ${host.label}`);
    });
  } finally {
    disconnect(hosts);
  }
}
