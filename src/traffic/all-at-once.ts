import { onEachServer, type Server } from '../fleet';
import { step } from '../log';
import type { StagedRoute } from '../proxy';
import { soleRoute, startAndCheck, type Switched, undo } from './start';
import type { Rollout, TrafficStrategy } from './types';

/**
 * Start the new container on every server, run the checks, then move all traffic on every server at
 * once. Until traffic has moved everywhere, a failure undoes it all.
 */
export const allAtOnce: TrafficStrategy = {
  async roll(rollout: Rollout) {
    const { plan, servers, timed, launch } = rollout;
    const { starts, staged, checks } = await startAndCheck(rollout, (_server, port) => soleRoute(plan, port));
    const switched: Switched[] = [];
    try {
      launch.handingOver();
      await timed('Hand-over', () =>
        onEachServer(servers, async (server: Server) => {
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
      return { checks };
    } catch (error) {
      await undo(plan, servers, switched, launch);
      throw error;
    }
  },
};
