import * as core from '@actions/core';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { planDeploy } from '../plan/deploy';
import { readHistory } from './history';
import { connect, disconnect, lockAll, onEachHost } from './session';
import { settleUnfinished } from './unfinished';

/** What a deploy has started on the hosts but not yet finished; kept in the step's state. */
export interface InFlight {
  app: string;
  appDir: string;
  release: string;
  container: string;
  /** Saved right before the first nginx swap: traffic may have moved to the container. */
  handingOver?: boolean;
}

const KEY = 'baton-in-flight';

export function markInFlight(value: InFlight | undefined): void {
  core.saveState(KEY, value ? JSON.stringify(value) : '');
}

/** Whether the main step left a deploy unfinished (the post step has nothing to do otherwise). */
export function leftInFlight(): boolean {
  return core.getState(KEY) !== '';
}

/**
 * The post step: if the main step was killed (SIGKILL, runner crash) before it finished, settle what it
 * left on each host (see settleUnfinished): a container nginx routes to stays and becomes current, one
 * that never took traffic is removed. Under the deploy lock (the killed step's lock died with its SSH
 * session); when another deploy holds it, that deploy settles the release itself.
 */
export async function cleanUpAfterKill(config: Config, context: RunContext): Promise<void> {
  const state = core.getState(KEY);
  if (!state) return;
  const inFlight = JSON.parse(state) as InFlight;
  const when = inFlight.handingOver ? 'during the hand-over' : 'before the hand-over';
  core.warning(`The deploy of ${inFlight.release} was killed ${when}; settling what it left`);
  const plan = planDeploy(config, context, new Date());
  const hosts = await connect(config);
  try {
    const owner = {
      runUrl: plan.run.url,
      release: `post step of ${inFlight.release}`,
      since: new Date().toISOString(),
    };
    const locks = await lockAll(hosts, inFlight.appDir, owner, 0).catch((error: unknown) => {
      core.info(`not settling ${inFlight.release} now: ${error}; the next deploy settles it`);
    });
    if (!locks) return;
    try {
      const unfinished = { ...inFlight, proxy: plan.proxy };
      await onEachHost(hosts, async (host) => {
        const history = await readHistory(host, inFlight.appDir);
        await settleUnfinished(host, unfinished, history, 'the deploy step was killed');
      });
    } finally {
      await locks.release();
    }
  } finally {
    disconnect(hosts);
  }
}
