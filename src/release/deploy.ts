import * as core from '@actions/core';
import { buildAndPush } from '../build/image';
import type { CheckResult } from '../checks/run';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { errorMessage } from '../errors';
import { phase, step } from '../log';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';
import { watchCancellation } from './cancel';
import { discardContainer, pullCredentials, pullImage, retireOthers, startContainer } from './container';
import { type History, readHistory, type ReleaseRecord, retained, setCurrent, writeRecord } from './history';
import { type InFlight, markInFlight } from './post';
import { checkCapacity } from './previews';
import { prune } from './prune';
import { type Launch, rollOut, type Timed } from './rollout';
import { connect, disconnect, lockAll, onEachHost } from './session';
import { settleUnfinished } from './unfinished';

export interface DeployResult {
  plan: DeployPlan;
  /** The commit now serving (for a rollback, the one rolled back to). */
  commit: string;
  /** The image as pushed, with its digest when known. */
  image: string;
  previousRelease?: string;
  phases: { name: string; seconds: number }[];
  /** Check results on the first host (every host ran the same checks). */
  checks: CheckResult[];
  /** Releases kept on the (first) host for rollbacks, newest first. */
  retained?: string[];
}

export function phaseTimer() {
  const phases: DeployResult['phases'] = [];
  const timed: Timed = async (name, work) => {
    const started = Date.now();
    const result = await phase(name, work);
    phases.push({ name, seconds: (Date.now() - started) / 1000 });
    return result;
  };
  return { phases, timed };
}

export async function deploy(
  config: Config,
  context: RunContext,
  timer = phaseTimer(),
): Promise<DeployResult> {
  const now = new Date();
  const first = planDeploy(config, context, now);
  const { phases, timed } = timer;
  core.info(
    `Deploying ${first.app} release ${first.release} (${first.image}) to ${first.hosts.length} host(s)`,
  );
  const hosts = await timed('Connect', () => connect(config));
  try {
    if (config.preview) await timed('Capacity', () => checkCapacity(hosts, config));
    const image = first.build
      ? await timed('Build', () => buildAndPush(first, context.workspace, context.runnerTemp))
      : first.image;
    const owner = { runUrl: first.run.url, release: first.release, since: new Date().toISOString() };
    const locks = await timed('Lock', () => lockAll(hosts, first.appDir, owner, first.lockTimeoutSeconds));
    try {
      const replan = (attempt: number) => planDeploy(config, context, now, attempt);
      const { plan, previousRelease } = await timed('Record', () => startRecord(hosts, first, image, replan));
      const checks = await release(plan, hosts, timed, image);
      const retained = await keptReleases(hosts[0], plan);
      return { plan, commit: plan.run.commit, image, previousRelease, phases, checks, retained };
    } finally {
      await locks.release();
    }
  } finally {
    disconnect(hosts);
  }
}

/**
 * Settles releases left "running" by a dead deploy (see settleUnfinished), records this one, and returns
 * its plan (renamed if its id is taken: same commit, same second) with the release serving until now.
 */
async function startRecord(
  hosts: RemoteHost[],
  first: DeployPlan,
  image: string,
  replan: (attempt: number) => DeployPlan,
): Promise<{ plan: DeployPlan; previousRelease?: string }> {
  const histories = await onEachHost(hosts, (host) => readHistory(host, first.appDir));
  const taken = new Set(histories.flatMap((history) => history.releases.map((record) => record.id)));
  let plan = first;
  for (let attempt = 2; taken.has(plan.release); attempt++) plan = replan(attempt);
  if (plan !== first)
    core.info(
      `release ${first.release} exists already (same commit, same second): this one is ${plan.release}`,
    );
  const serving = await onEachHost(hosts, async (host) => {
    const history = histories[hosts.indexOf(host)] as History;
    let current = history.current;
    for (const stale of history.releases.filter((record) => record.outcome === 'running')) {
      const unfinished = {
        appDir: plan.appDir,
        release: stale.id,
        container: stale.container,
        proxy: plan.proxy,
      };
      const how = await settleUnfinished(
        host,
        unfinished,
        history,
        'its deploy ended: cancelled, or its runner died',
      );
      if (how === 'finished') current = stale.id;
    }
    await writeRecord(host, plan.appDir, record(plan, image, 'running'));
    return current;
  });
  return { plan, previousRelease: serving[0] };
}

function record(
  plan: DeployPlan,
  image: string,
  outcome: ReleaseRecord['outcome'],
  error?: string,
): ReleaseRecord {
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

/** Pull, start, check, hand over, retire, prune; records the outcome on every host either way. */
async function release(
  plan: DeployPlan,
  hosts: RemoteHost[],
  timed: Timed,
  image: string,
): Promise<CheckResult[]> {
  const started = new Set<RemoteHost>();
  const inFlight: InFlight = {
    app: plan.app,
    appDir: plan.appDir,
    release: plan.release,
    container: plan.container.name,
  };
  const cancellation = watchCancellation('deploy', async () => {
    await onEachHost([...started], (host) => discardContainer(host, plan)).catch(() => undefined);
    await finish(hosts, plan, image, 'cancelled', 'cancelled before the hand-over').catch(() => undefined);
  });
  const launch: Launch = {
    verb: 'started',
    start: (host) => {
      started.add(host);
      return startContainer(host, plan);
    },
    discard: (host) => discardContainer(host, plan),
    handingOver: () => {
      cancellation.beginHandOver();
      // Saved before the first swap: from here on, the post step looks at nginx before removing anything.
      markInFlight({ ...inFlight, handingOver: true });
    },
  };
  markInFlight(inFlight);
  try {
    const auth = pullCredentials(plan);
    await timed('Pull', () =>
      onEachHost(hosts, (host) =>
        step(`pulled ${plan.image}`, () => pullImage(host, plan, auth), host.label),
      ),
    );
    const checks = await rollOut(plan, hosts, timed, launch);
    await onEachHost(hosts, (host) => setCurrent(host, plan.appDir, plan.release));
    markInFlight(undefined);
    await finish(hosts, plan, image, 'done');
    await timed('Retire', () => onEachHost(hosts, (host) => retire(host, plan)));
    return checks;
  } catch (error) {
    markInFlight(undefined);
    const outcome = cancellation.cancelled ? 'cancelled' : 'error';
    await finish(hosts, plan, image, outcome, errorMessage(error)).catch(() => undefined);
    await onEachHost(hosts, (host) => prune(host, plan.app, plan.appDir, plan.keepReleases)).catch(
      () => undefined,
    );
    throw error;
  } finally {
    cancellation.dispose();
  }
}

async function finish(
  hosts: RemoteHost[],
  plan: DeployPlan,
  image: string,
  outcome: ReleaseRecord['outcome'],
  error?: string,
) {
  await onEachHost(hosts, (host) => writeRecord(host, plan.appDir, record(plan, image, outcome, error)));
}

/** The release ids a rollback can go back to on a host, newest first. */
export async function keptReleases(host: RemoteHost | undefined, plan: DeployPlan): Promise<string[]> {
  if (!host) return [];
  const history = await readHistory(host, plan.appDir);
  const ids = retained(history, plan.keepReleases);
  return history.releases.filter((release) => ids.has(release.id)).map((release) => release.id);
}

async function retire(host: RemoteHost, plan: DeployPlan): Promise<void> {
  const others = await retireOthers(host, plan);
  const what = others.length
    ? `${others.join(', ')} will stop in ${plan.retireAfterSeconds}s`
    : 'no previous container';
  core.info(`✓ ${what} on ${host.label}`);
  await prune(host, plan.app, plan.appDir, plan.keepReleases);
}
