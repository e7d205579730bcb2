import * as core from '@actions/core';
import type { CheckResult } from '../checks/model';
import { BatonError, errorMessage } from '../errors';
import { onEachServer, type Server } from '../fleet';
import { readHistory, setCurrent, writeRecord } from '../host/state';
import { watchCancellation } from '../lifecycle/cancel';
import { restartContainer } from '../lifecycle/containers';
import { keptReleases } from '../lifecycle/records';
import { retire } from '../lifecycle/retire';
import { type History, type ReleaseRecord, rollbackTarget } from '../model/release';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import { type Launch, trafficStrategy } from '../traffic';
import { type Frame, lockedSession } from './frame';
import type { DeployResult } from './result';

/**
 * Brings back an earlier release (the previous successful one, or `release`): its stopped container is
 * started again with the env it had, checked, and given the traffic, as in a deploy. Nothing is built.
 */
export async function rollback(frame: Frame): Promise<DeployResult> {
  const { config, context } = frame;
  const base = planDeploy(config, context, new Date());
  return lockedSession(frame, base, `rollback of ${base.app}`, async (servers) => {
    const histories = await onEachServer(servers, (server) => readHistory(server.shell, base.appDir));
    const target = chooseTarget(histories, config.rollbackTo, servers);
    const plan = rollbackPlan(base, target);
    const current = histories[0]?.current;
    core.info(
      `Rolling ${plan.app} back from ${current ?? '(none)'} to release ${target.id} (${target.image})`,
    );
    const checks = await bringBack(frame, plan, servers, target, histories);
    const retained = await keptReleases(servers[0], plan);
    const { phases } = frame;
    return {
      plan,
      commit: target.commit,
      image: target.image,
      previousRelease: current,
      phases,
      checks,
      retained,
    };
  });
}

function chooseTarget(histories: History[], requested: string, servers: Server[]): ReleaseRecord {
  const first = histories[0] ?? { releases: [] };
  const target = rollbackTarget(first, requested || undefined);
  if (!target) {
    const known = first.releases.map((release) => `${release.id} (${release.outcome})`).join(', ') || 'none';
    const what = requested
      ? `release ${requested} is not in the history`
      : 'there is no earlier successful release';
    throw new BatonError(`cannot roll back: ${what}. Releases on ${servers[0]?.label}: ${known}`);
  }
  if (target.id === first.current)
    throw new BatonError(`cannot roll back: release ${target.id} is already the current one`);
  if (target.outcome !== 'done' && target.outcome !== 'rolled back') {
    throw new BatonError(
      `cannot roll back: release ${target.id} ended as "${target.outcome}"; only releases that served can come back`,
    );
  }
  histories.forEach((history, index) => {
    if (!history.releases.some((release) => release.id === target.id)) {
      throw new BatonError(`cannot roll back: release ${target.id} is not on ${servers[index]?.label}`);
    }
  });
  return target;
}

/** The plan of the release brought back; its route names that release (what the next deploy reads). */
function rollbackPlan(base: DeployPlan, target: ReleaseRecord): DeployPlan {
  return {
    ...base,
    route: { ...base.route, release: target.id },
    release: target.id,
    image: target.image,
    build: undefined,
    envFile: undefined,
    container: { ...base.container, name: target.container, image: target.image },
  };
}

async function bringBack(
  frame: Frame,
  plan: DeployPlan,
  servers: Server[],
  target: ReleaseRecord,
  histories: History[],
): Promise<CheckResult[]> {
  const discard = (server: Server) => server.runtime.stop(target.container).catch(() => undefined);
  const cancellation = watchCancellation('rollback', async () => {
    await onEachServer(servers, discard).catch(() => undefined);
  });
  const launch: Launch = {
    verb: 'restarted',
    start: (server) => restartContainer(server, target.container, plan.container.appPort),
    discard,
    handingOver: () => cancellation.beginHandOver(),
    signal: cancellation.signal,
  };
  try {
    // A rollback goes back to a release that served: all at once, no canary.
    const rollout = {
      plan,
      image: target.image,
      servers,
      timed: frame.timed,
      launch,
      progress: frame.progress,
    };
    const { checks } = await trafficStrategy('all-at-once').roll(rollout);
    await onEachServer(servers, (server) =>
      makeCurrent(server, plan, histories[servers.indexOf(server)] as History),
    );
    await frame.timed('Retire', () => onEachServer(servers, (server) => retire(server, plan)));
    return checks;
  } catch (error) {
    throw new BatonError(`rollback to ${target.id} failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    cancellation.dispose();
  }
}

/** Records the release it replaces as rolled back, and makes the plan's release current. */
async function makeCurrent(server: Server, plan: DeployPlan, history: History): Promise<void> {
  const replaced = history.releases.find((release) => release.id === history.current);
  if (replaced && replaced.id !== plan.release) {
    const record = { ...replaced, outcome: 'rolled back' as const, finishedAt: new Date().toISOString() };
    await writeRecord(server.shell, plan.appDir, record);
  }
  await setCurrent(server.shell, plan.appDir, plan.release);
}
