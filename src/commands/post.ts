import * as core from '@actions/core';
import { errorMessage } from '../errors';
import { onEachServer } from '../fleet';
import { readHistory } from '../host/state';
import type { InFlight } from '../lifecycle/in-flight';
import { settleUnfinished } from '../lifecycle/settle';
import { placeOf } from '../plan/place';
import { type Frame, lock, withServers } from './frame';

/**
 * The post step, when the main step was killed (SIGKILL, runner crash) before it finished: settles
 * what it left on each host (see settleUnfinished): a container the proxy routes to stays and becomes
 * current, one that never took traffic is removed. Under the deploy lock (the killed step's lock died
 * with its SSH session); when another deploy holds it, that deploy settles the release itself.
 */
export async function cleanUpAfterKill(frame: Frame, inFlight: InFlight): Promise<void> {
  const when = inFlight.handingOver ? 'during the hand-over' : 'before the hand-over';
  core.warning(`The deploy of ${inFlight.release} was killed ${when}; settling what it left`);
  const place = { ...placeOf(frame.config, frame.context), appDir: inFlight.appDir };
  await withServers(frame, async (servers) => {
    const held = await lock(frame, servers, place, `post step of ${inFlight.release}`, 0).catch(
      (error: unknown) => {
        core.info(`not settling ${inFlight.release} now: ${errorMessage(error)}; the next deploy settles it`);
      },
    );
    if (!held) return;
    try {
      await onEachServer(servers, async (server) => {
        const history = await readHistory(server.shell, inFlight.appDir);
        await settleUnfinished(server, inFlight, history, 'the deploy step was killed');
      });
    } finally {
      await held.unlock();
    }
  });
}
