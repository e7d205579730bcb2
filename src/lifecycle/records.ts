import * as core from '@actions/core';
import { onEachServer, type Server } from '../fleet';
import { readHistory, writeRecord } from '../host/state';
import { type History, keptIds, type Outcome, type ReleaseRecord } from '../model/release';
import type { DeployPlan } from '../plan/deploy';
import { settleUnfinished } from './settle';

/** A deploy's record, as it is kept on every host. */
export function recordOf(plan: DeployPlan, image: string, outcome: Outcome, error?: string): ReleaseRecord {
  return {
    id: plan.release,
    app: plan.app,
    image,
    commit: plan.run.commit,
    ref: plan.run.ref,
    actor: plan.run.actor,
    runUrl: plan.run.url,
    container: plan.container.name,
    startedAt: plan.run.startedAt,
    outcome,
    ...(outcome === 'running' ? {} : { finishedAt: new Date().toISOString() }),
    ...(error ? { error } : {}),
  };
}

/** Records how a deploy ended, on every server. */
export async function recordOutcome(
  servers: Server[],
  plan: DeployPlan,
  image: string,
  outcome: Outcome,
  error?: string,
): Promise<void> {
  const record = recordOf(plan, image, outcome, error);
  await onEachServer(servers, (server) => writeRecord(server.shell, plan.appDir, record));
}

/**
 * Settles releases left "running" by a dead deploy (see settleUnfinished), records this one as running,
 * and returns its plan (renamed if its id is taken: same commit, same second) with the release serving
 * until now.
 */
export async function startRecord(
  servers: Server[],
  first: DeployPlan,
  image: string,
  replan: (attempt: number) => DeployPlan,
): Promise<{ plan: DeployPlan; previousRelease?: string }> {
  const histories = await onEachServer(servers, (server) => readHistory(server.shell, first.appDir));
  const taken = new Set(histories.flatMap((history) => history.releases.map((record) => record.id)));
  let plan = first;
  for (let attempt = 2; taken.has(plan.release); attempt++) plan = replan(attempt);
  if (plan !== first)
    core.info(
      `release ${first.release} exists already (same commit, same second): this one is ${plan.release}`,
    );
  const serving = await onEachServer(servers, async (server) => {
    const history = histories[servers.indexOf(server)] as History;
    let current = history.current;
    for (const stale of history.releases.filter((record) => record.outcome === 'running')) {
      const unfinished = {
        app: plan.app,
        appDir: plan.appDir,
        release: stale.id,
        container: stale.container,
      };
      const why = 'its deploy ended: cancelled, or its runner died';
      if ((await settleUnfinished(server, unfinished, history, why)) === 'finished') current = stale.id;
    }
    await writeRecord(server.shell, plan.appDir, recordOf(plan, image, 'running'));
    return current;
  });
  return { plan, previousRelease: serving[0] };
}

/** The release ids a rollback can go back to on a server, newest first. */
export async function keptReleases(server: Server | undefined, plan: DeployPlan): Promise<string[]> {
  if (!server) return [];
  return keptIds(await readHistory(server.shell, plan.appDir), plan.keepReleases);
}
