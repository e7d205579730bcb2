import * as core from '@actions/core';
import { CancelledError, errorMessage, findCause } from '../../errors';
import { onEachServer, type Server } from '../../fleet';
import { step } from '../../log';
import type { Route } from '../../model/route';
import type { DeployPlan } from '../../plan/deploy';
import type { CanaryPlan } from '../../plan/traffic';
import type { HostWatch, StagedRoute } from '../../proxy';
import {
  cooldownFiles,
  cooldownHeaderFile,
  cooldownResultFile,
  currentFile,
  recordFile,
} from '../../host/state';
import { recordOf } from '../../lifecycle/records';
import { allAtOnce } from '../all-at-once';
import { soleRoute, startAndCheck, type Switched, undo } from '../start';
import type { Rolled, Rollout, TrafficStrategy } from '../types';
import { describeFigures } from './analysis';
import { type CanaryReport, CanaryRolledBack, unjudged } from './report';
import { type Watched, watchCooldown, watchStep } from './watch';

/** The release serving on a server before the canary, and its port there. */
interface Stable {
  release: string;
  port: number;
}

/**
 * Traffic moves to the new release in steps (canary-steps), each watched for canary-step-seconds and
 * judged from the proxy's per-release figures against the thresholds and the old release; then a
 * cooldown at 100%. A failing step, a failing cooldown or a cancellation sends all traffic back to the
 * old release at once (it keeps running until the end) and takes the new one down. Without a release
 * serving yet, there is nothing to compare with: all traffic moves at once.
 */
export const canary: TrafficStrategy = {
  async roll(rollout: Rollout): Promise<Rolled> {
    const { plan, servers } = rollout;
    if (plan.traffic.strategy !== 'canary') return allAtOnce.roll(rollout);
    const stable = await onEachServer(servers, (server) => stableOf(server, plan.app));
    const alone = servers.find((_server, index) => !stable[index]);
    const olds = new Set(stable.map((entry) => entry?.release));
    if (alone || olds.size > 1) {
      const why = alone
        ? `no release serves ${plan.app} on ${alone.label} yet: nothing to compare with`
        : `the hosts serve different releases (${[...olds].join(', ')})`;
      core.info(`[canary] ${why}; all traffic moves at once`);
      return allAtOnce.roll(rollout);
    }
    return steps(rollout, plan.traffic.canary, stable as Stable[]);
  },
};

async function steps(rollout: Rollout, settings: CanaryPlan, stable: Stable[]): Promise<Rolled> {
  const { plan, servers, timed, launch } = rollout;
  const old = (stable[0] as Stable).release;
  const routeAt = (server: Server, port: number, percent: number) =>
    percent === 100
      ? soleRoute(plan, port)
      : splitRoute(plan, stable[servers.indexOf(server)] as Stable, port, percent);
  const percents = settings.steps;
  const first = percents[0] as number;
  const { starts, staged, checks } = await startAndCheck(rollout, (server, port) =>
    routeAt(server, port, first),
  );
  const portOf = (server: Server) => starts[servers.indexOf(server)]?.port as number;
  const report: CanaryReport = { release: plan.release, old, steps: [] };
  const switched: Switched[] = [];
  const at = { percent: first, cooldown: false };
  const watched: Watched = {
    app: plan.app,
    servers,
    fresh: { release: plan.release, container: plan.container.name },
    old: { release: old },
    canary: settings,
    signal: launch.signal,
  };
  try {
    launch.handingOver({ reversible: true });
  } catch (error) {
    await undo(plan, servers, [], launch);
    throw error;
  }
  await timed('Canary', async () => {
    try {
      for (const [index, percent] of percents.entries()) {
        stopIfCancelled(launch.signal);
        // Where a failure from here on is reported (moving to this share, then watching it).
        at.percent = percent;
        const routes =
          index === 0
            ? staged
            : await onEachServer(servers, (server) =>
                server.proxy.stage(routeAt(server, portOf(server), percent)),
              );
        await onEachServer(servers, async (server) => {
          const route = routes[servers.indexOf(server)] as StagedRoute;
          await server.proxy.commit(route);
          if (index === 0) switched.push({ server, staged: route });
        });
        const line = `Step ${index + 1}/${percents.length}: routing ${percent}% traffic → ${plan.release}`;
        core.info(`[canary] ${line}`);
        await rollout.progress(`Canary ${line}`);
        if (percent === 100) break;
        const watchedStep = await watchStep(watched, percent);
        report.steps.push(watchedStep);
        const figures = describeFigures(watchedStep.fresh);
        if (
          watchedStep.outcome === 'failed' ||
          (watchedStep.outcome === 'quiet' && settings.onQuiet === 'fail')
        )
          throw new CanaryRolledBack(report, `step ${index + 1} (${percent}%): ${watchedStep.reason}`);
        if (watchedStep.outcome === 'quiet')
          core.warning(
            `[canary] step ${index + 1} (${percent}%) promoted without a verdict: ${watchedStep.reason} (canary-on-quiet: promote)`,
          );
        else core.info(`[canary] Metrics OK after ${watchedStep.seconds.toFixed(0)}s (${figures})`);
      }
      at.cooldown = true;
      await cooldown(rollout, settings, watched, report);
      core.info(`[canary] ✓ Deployment complete`);
    } catch (error) {
      await rollBack(plan, servers, switched, rollout, error);
      throw failure(report, error, at);
    }
  });
  return { checks, canary: report };
}

/**
 * A cancellation that came while no watch was waiting (during a check's reading, a move, the progress
 * report) is seen only here: without it, the canary moved on to the next step, or ended at 100%, after
 * the log had said that traffic goes back.
 */
function stopIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError('the deploy was cancelled during the canary');
}

async function cooldown(rollout: Rollout, settings: CanaryPlan, watched: Watched, report: CanaryReport) {
  stopIfCancelled(watched.signal);
  if (!settings.cooldownSeconds) return;
  if (settings.cooldownWatch === 'host' && (await watchOnHosts(rollout, settings, report))) return;
  const { plan } = rollout;
  core.info(
    `[canary] Cooldown: watching ${plan.release} at 100% for ${settings.cooldownSeconds}s; ${report.old} keeps running for an instant rollback`,
  );
  await rollout.progress(
    `Canary cooldown: watching ${plan.release} at 100% for ${settings.cooldownSeconds}s`,
  );
  const cooled = await watchCooldown(watched, report.steps.at(-1));
  stopIfCancelled(watched.signal); // during the last check's reading
  report.steps.push(cooled);
  if (cooled.outcome === 'failed') throw new CanaryRolledBack(report, `cooldown: ${cooled.reason}`);
  core.info(
    `[canary] Cooldown passed after ${cooled.seconds.toFixed(0)}s (${describeFigures(cooled.fresh)})`,
  );
}

/**
 * Hands the cooldown to a watch on every host (canary-cooldown-watch: host). If a host cannot run one,
 * those started are stopped and the runner watches.
 */
async function watchOnHosts(rollout: Rollout, settings: CanaryPlan, report: CanaryReport): Promise<boolean> {
  const { plan, servers } = rollout;
  const stopAll = () =>
    onEachServer(servers, (server) => server.proxy.stopHostWatch(plan.app, cooldownFiles(plan.appDir)));
  const github = githubTarget(rollout, settings);
  const started = await onEachServer(servers, async (server) => {
    const running = await server.runtime.list({ app: plan.app, running: true });
    const old = running.map((container) => container.name).filter((name) => name !== plan.container.name);
    if (github)
      await server.shell.writeFile(
        github.headerFile,
        `Authorization: Bearer ${settings.cooldownToken}\n`,
        '600',
      );
    return server.proxy.watchOnHost(plan.app, {
      ...hostWatch(rollout, settings, report.old, old),
      ...(github ? { github } : {}),
    });
  }).catch(async (error: unknown) => {
    // A watch that did start would retire the old release, serving again after the rollback.
    await stopAll().catch(() => undefined);
    throw error;
  });
  if (!started.every(Boolean)) {
    await stopAll();
    core.warning(
      `[canary] ${servers[started.indexOf(false)]?.label} cannot watch the cooldown itself: the runner watches`,
    );
    return false;
  }
  if (rollout.launch.signal.aborted) {
    // Cancelled while the watches started: they must not retire the old release traffic goes back to.
    await stopAll();
    stopIfCancelled(rollout.launch.signal);
  }
  report.watchedOnHost = true;
  report.steps.push(unjudged(100, true, 'watching'));
  const line = `Cooldown: each host watches ${plan.release} for ${settings.cooldownSeconds}s and rolls back by itself; ${report.old} keeps running until then (the next deploy or status shows the outcome)`;
  core.info(`[canary] ${line}`);
  if (!github)
    core.info(
      `[canary] a rollback by a host will not show on the GitHub deployment: ${settings.cooldownToken ? 'this run has no GitHub deployment' : 'no canary-cooldown-token'}`,
    );
  await rollout.progress(`Canary cooldown watched on the hosts for ${settings.cooldownSeconds}s`);
  return true;
}

/** Where a host's watch sets the deployment to failure: only with a token for it and a deployment. */
function githubTarget(rollout: Rollout, settings: CanaryPlan): HostWatch['github'] {
  const deployment = rollout.deployment?.();
  if (!settings.cooldownToken || !deployment) return undefined;
  const body = {
    state: 'failure',
    description: '@DESCRIPTION@',
    log_url: deployment.logUrl,
    environment: deployment.environment,
  };
  return {
    url: deployment.statusesUrl,
    body: JSON.stringify(body),
    headerFile: cooldownHeaderFile(rollout.plan.appDir),
  };
}

function hostWatch(rollout: Rollout, settings: CanaryPlan, old: string, containers: string[]): HostWatch {
  const { plan } = rollout;
  const t = settings.thresholds;
  return {
    fresh: { release: plan.release, container: plan.container.name },
    old: { release: old, containers },
    seconds: settings.cooldownSeconds,
    checkSeconds: settings.checkSeconds,
    failureLimit: settings.failureLimit,
    minRequests: t.minRequests,
    maxErrorRate: t.maxErrorRate,
    maxP99Ms: t.maxP99Ms,
    drainSeconds: plan.retireAfterSeconds,
    currentFile: currentFile(plan.appDir),
    recordFile: recordFile(plan.appDir, plan.release),
    rolledBackRecord: JSON.stringify(recordOf(plan, rollout.image, 'rolled back', '@REASON@')),
    resultFile: cooldownResultFile(plan.appDir),
  };
}

/** All traffic back to the release that served before, in flight requests to the new one drained, the new one down. */
async function rollBack(
  plan: DeployPlan,
  servers: Server[],
  switched: Switched[],
  rollout: Rollout,
  error: unknown,
) {
  const cancelled = findCause(error, CancelledError) !== undefined;
  const why =
    error instanceof CanaryRolledBack
      ? error.reason
      : cancelled
        ? 'the run was cancelled'
        : errorMessage(error);
  core.info(`[canary] ✗ ${why}: sending all traffic back to the previous release`);
  await onEachServer(
    switched.map((entry) => entry.server),
    async (server) => {
      const { staged } = switched.find((entry) => entry.server === server) as Switched;
      await step(
        `${server.proxy.name} routes ${plan.url} to the previous release again`,
        () => server.proxy.revert(staged),
        server.label,
      );
      // Requests in flight to the new release finish (briefly, when cancelled: the runner kills soon).
      const bound = cancelled ? Math.min(plan.retireAfterSeconds, 2) : plan.retireAfterSeconds;
      await server.proxy.drain(plan.app, bound);
    },
  ).catch((failed: unknown) => core.warning(`could not send all traffic back: ${errorMessage(failed)}`));
  await undo(plan, servers, [], rollout.launch);
}

/** What the deploy fails with: the report and why, the original error as the cause. */
function failure(
  report: CanaryReport,
  error: unknown,
  at: { percent: number; cooldown: boolean },
): CanaryRolledBack {
  if (error instanceof CanaryRolledBack) {
    report.rolledBack = error.reason;
    return error;
  }
  const cancelled = findCause(error, CancelledError) !== undefined;
  const why = cancelled ? 'the run was cancelled' : errorMessage(error);
  report.steps.push(unjudged(at.percent, at.cooldown, cancelled ? 'cancelled' : 'failed'));
  report.rolledBack = why;
  return new CanaryRolledBack(report, why, cancelled ? 'cancelled' : 'error', { cause: error });
}

async function stableOf(server: Server, app: string): Promise<Stable | undefined> {
  const state = await server.proxy.describe(app);
  const port = Number(/:(\d+)$/.exec(state.upstreams[0] ?? '')?.[1]);
  if (!state.live || !state.release || state.upstreams.length !== 1 || !port) return undefined;
  return { release: state.release, port };
}

/** The plan's route with `percent` of the traffic on the new release, the rest on the stable one. */
function splitRoute(plan: DeployPlan, stable: Stable, port: number, percent: number): Route {
  return {
    ...plan.route,
    upstreams: [
      { port: stable.port, weight: 100 - percent, release: stable.release },
      { port, weight: percent },
    ],
  };
}
