import * as core from '@actions/core';
import { ChecksFailedError } from '../checks/run';
import { findCause } from '../errors';
import { onEachServer, type Server } from '../fleet';
import { step } from '../log';
import type { StagedRoute } from '../proxy';
import type { Launch, Rollout, TrafficStrategy } from './types';
import { checkAll, showContainerLog } from './verify';
import type { DeployPlan } from '../plan/deploy';

/**
 * Today's strategy: start the new container on every server, run the checks, then move all traffic on
 * every server at once. The new route is staged beside the live one while the checks run, so that the
 * hand-over is one step. Until traffic has moved everywhere, a failure undoes it all.
 */
export const allAtOnce: TrafficStrategy = {
  async roll({ plan, servers, timed, launch }: Rollout) {
    const started: Server[] = [];
    const switched: { server: Server; staged: StagedRoute }[] = [];
    let staging: Promise<StagedRoute[]> | undefined;
    try {
      const starts = await timed('Start', () =>
        onEachServer(servers, (server) => {
          started.push(server);
          return step(`${launch.verb} ${plan.container.name}`, () => launch.start(server), server.label);
        }),
      );
      staging = onEachServer(servers, (server) => {
        const port = starts[servers.indexOf(server)]?.port as number;
        return server.proxy.stage({ ...plan.route, upstreams: [{ port, weight: 1 }] });
      });
      staging.catch(() => undefined);
      const checks = await timed('Checks', () => checkAll(plan, servers, starts));
      const staged = await staging;
      launch.handingOver();
      await timed('Hand-over', () =>
        onEachServer(servers, async (server) => {
          const route = staged[servers.indexOf(server)] as StagedRoute;
          const port = starts[servers.indexOf(server)]?.port;
          const proxy = server.proxy;
          await step(
            `${proxy.name} now routes ${plan.url} to port ${port}`,
            () => proxy.commit(route),
            server.label,
          );
          switched.push({ server, staged: route });
        }),
      );
      return checks;
    } catch (error) {
      const failed = findCause(error, ChecksFailedError);
      if (failed) showContainerLog(failed);
      await staging?.catch(() => undefined);
      await undo(plan, started, switched, launch);
      throw error;
    }
  },
};

/** Puts back the previous routes where traffic moved, then takes the new containers down. */
async function undo(
  plan: DeployPlan,
  started: Server[],
  switched: { server: Server; staged: StagedRoute }[],
  launch: Launch,
): Promise<void> {
  for (const { server, staged } of switched) {
    await server.proxy
      .revert(staged)
      .catch((error) => core.warning(`could not revert ${server.proxy.name} on ${server.label}: ${error}`));
  }
  for (const server of started) {
    await server.proxy.discard(plan.app).catch(() => undefined);
    await launch
      .discard(server)
      .catch((error) =>
        core.warning(`could not take ${plan.container.name} down on ${server.label}: ${error}`),
      );
    core.info(`took ${plan.container.name} down on ${server.label}; the previous release keeps serving`);
  }
}
