import * as core from '@actions/core';
import { buildAndPush } from '../build/image';
import { errorMessage, findCause } from '../errors';
import { onEachServer, type Server } from '../fleet';
import { setCurrent } from '../host/state';
import type { Outcome } from '../model/release';
import { watchCancellation } from '../lifecycle/cancel';
import { discardContainer, pullCredentials, pullImage, startContainer } from '../lifecycle/containers';
import { type InFlight, markInFlight } from '../lifecycle/in-flight';
import { checkCapacity } from '../lifecycle/previews';
import { prune } from '../lifecycle/prune';
import { keptReleases, recordOutcome, startRecord } from '../lifecycle/records';
import { retire } from '../lifecycle/retire';
import { step } from '../log';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import { type Launch, type Rolled, trafficStrategy } from '../traffic';
import { CanaryRolledBack } from '../traffic/canary/report';
import { type Frame, withLock, withServers } from './frame';
import type { DeployResult } from './result';

/** Builds (unless the image is given), then starts, checks and hands over a new release on every host. */
export async function deploy(frame: Frame): Promise<DeployResult> {
  const { config, context, timed } = frame;
  const now = new Date();
  const first = planDeploy(config, context, now);
  core.info(
    `Deploying ${first.app} release ${first.release} (${first.image}) to ${first.hosts.length} host(s)`,
  );
  return withServers(frame, async (servers) => {
    if (config.preview) await timed('Capacity', () => checkCapacity(servers, config));
    const image = first.build
      ? await timed('Build', () => buildAndPush(first, context.workspace, context.runnerTemp))
      : first.image;
    return withLock(frame, servers, first, first.release, async () => {
      const replan = (attempt: number) => planDeploy(config, context, now, attempt);
      const { plan, previousRelease } = await timed('Record', () =>
        startRecord(servers, first, image, replan),
      );
      const { checks, canary } = await goLive(frame, plan, servers, image);
      const retained = await keptReleases(servers[0], plan);
      return {
        plan,
        commit: plan.run.commit,
        image,
        previousRelease,
        phases: frame.phases,
        checks,
        retained,
        ...(canary ? { canary } : {}),
      };
    });
  });
}

/** Pull, start, check, hand over, retire, prune; records the outcome on every host either way. */
async function goLive(frame: Frame, plan: DeployPlan, servers: Server[], image: string): Promise<Rolled> {
  const { timed } = frame;
  const started = new Set<Server>();
  const inFlight: InFlight = {
    app: plan.app,
    appDir: plan.appDir,
    release: plan.release,
    container: plan.container.name,
  };
  const cancellation = watchCancellation('deploy', async () => {
    await onEachServer([...started], (server) => discardContainer(server, plan)).catch(() => undefined);
    await recordOutcome(servers, plan, image, 'cancelled', 'cancelled before the hand-over').catch(
      () => undefined,
    );
  });
  const launch: Launch = {
    verb: 'started',
    start: (server) => {
      started.add(server);
      return startContainer(server, plan);
    },
    discard: (server) => discardContainer(server, plan),
    signal: cancellation.signal,
    handingOver: (options) => {
      cancellation.beginHandOver(options);
      // Saved before the first swap: from here on, the post step looks at the proxy before removing anything.
      markInFlight({ ...inFlight, handingOver: true });
    },
  };
  markInFlight(inFlight);
  try {
    const auth = pullCredentials(plan, frame.secrets);
    await timed('Pull', () =>
      onEachServer(servers, (server) =>
        step(`pulled ${plan.image}`, () => pullImage(server, plan, auth), server.label),
      ),
    );
    if (plan.traffic.strategy === 'all-at-once')
      core.info(`traffic moves at once after the checks: ${plan.traffic.why}`);
    const rolled = await trafficStrategy(plan.traffic.strategy).roll({
      plan,
      image,
      servers,
      timed,
      launch,
      progress: frame.progress,
      deployment: frame.deployment,
    });
    await onEachServer(servers, (server) => setCurrent(server.shell, plan.appDir, plan.release));
    markInFlight(undefined);
    await recordOutcome(servers, plan, image, 'done');
    if (rolled.canary?.watchedOnHost) {
      core.info(`the cooldown watch on each host retires the previous release when it passes`);
      await onEachServer(servers, (server) => prune(server, plan.app, plan.appDir, plan.keepReleases));
    } else await timed('Retire', () => onEachServer(servers, (server) => retire(server, plan)));
    return rolled;
  } catch (error) {
    markInFlight(undefined);
    const outcome = outcomeOf(error, cancellation.cancelled);
    await recordOutcome(servers, plan, image, outcome, errorMessage(error)).catch(() => undefined);
    await onEachServer(servers, (server) => prune(server, plan.app, plan.appDir, plan.keepReleases)).catch(
      () => undefined,
    );
    throw error;
  } finally {
    cancellation.dispose();
  }
}

/** How a failed deploy is recorded: a canary sent back on its figures is `rolled back`. */
function outcomeOf(error: unknown, cancelled: boolean): Outcome {
  if (cancelled) return 'cancelled';
  return findCause(error, CanaryRolledBack)?.kind === 'thresholds' ? 'rolled back' : 'error';
}
