import * as core from '@actions/core';
import type { CheckResult } from '../checks/model';
import { ChecksFailedError } from '../checks/run';
import { findCause } from '../errors';
import { onEachServer, type Server } from '../fleet';
import type { Started } from '../lifecycle/containers';
import { step } from '../log';
import type { Route } from '../model/route';
import type { DeployPlan } from '../plan/deploy';
import type { StagedRoute } from '../proxy';
import type { Launch, Rollout } from './types';
import { checkAll, showContainerLog } from './verify';

/** The new release started and checked everywhere, its first route staged on each server. */
export interface Checked {
  starts: Started[];
  staged: StagedRoute[];
  checks: CheckResult[];
}

/**
 * Starts the new container on every server and runs the checks; meanwhile the route that takes the
 * first traffic (`firstRoute`, from the server's new port) is staged, so that the hand-over is one step.
 * On failure, the new containers and staged routes go and the previous release keeps serving.
 */
export async function startAndCheck(
  { plan, servers, timed, launch }: Rollout,
  firstRoute: (server: Server, port: number) => Route,
): Promise<Checked> {
  const started: Server[] = [];
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
      return server.proxy.stage(firstRoute(server, port));
    });
    staging.catch(() => undefined);
    const checks = await timed('Checks', () => checkAll(plan, servers, starts));
    return { starts, staged: await staging, checks };
  } catch (error) {
    const failed = findCause(error, ChecksFailedError);
    if (failed) showContainerLog(failed);
    await staging?.catch(() => undefined);
    await undo(plan, started, [], launch);
    throw error;
  }
}

/** A route staged on a server and committed there. */
export interface Switched {
  server: Server;
  staged: StagedRoute;
}

/** Puts back the previous routes where traffic moved, then takes the new containers down. */
export async function undo(
  plan: DeployPlan,
  started: Server[],
  switched: Switched[],
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

/** The plan's route with all its traffic on one port. */
export function soleRoute(plan: DeployPlan, port: number): Route {
  return { ...plan.route, upstreams: [{ port, weight: 1 }] };
}
