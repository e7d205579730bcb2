import * as core from '@actions/core';
import * as docker from '../commands/docker';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { errorMessage } from '../errors';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import { renderSite } from '../proxy/nginx';
import type { RemoteHost } from '../remote/ssh';
import { watchCancellation } from './cancel';
import { retireOthers } from './container';
import { type DeployResult, keptReleases, phaseTimer } from './deploy';
import {
  type History,
  readHistory,
  type ReleaseRecord,
  rollbackTarget,
  setCurrent,
  writeRecord,
} from './history';
import { prune } from './prune';
import { type Launch, rollOut } from './rollout';
import { lockedSession, onEachHost } from './session';

/**
 * Brings back an earlier release (the previous successful one, or `release`): its stopped container is
 * started again with the env it had, checked, and given the traffic, as in a deploy. Nothing is built.
 */
export async function rollback(
  config: Config,
  context: RunContext,
  timer = phaseTimer(),
): Promise<DeployResult> {
  const base = planDeploy(config, context, new Date());
  const { phases, timed } = timer;
  return lockedSession(config, base, `rollback of ${base.app}`, timed, async (hosts) => {
    const histories = await onEachHost(hosts, (host) => readHistory(host, base.appDir));
    const target = chooseTarget(histories, config.release, hosts);
    const plan = rollbackPlan(base, target, config);
    const current = histories[0]?.current;
    core.info(
      `Rolling ${plan.app} back from ${current ?? '(none)'} to release ${target.id} (${target.image})`,
    );
    const checks = await bringBack(plan, hosts, timed, target, histories);
    const retained = await keptReleases(hosts[0], plan);
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

function chooseTarget(histories: History[], requested: string, hosts: RemoteHost[]): ReleaseRecord {
  const first = histories[0] ?? { releases: [] };
  const target = rollbackTarget(first, requested || undefined);
  if (!target) {
    const known = first.releases.map((release) => `${release.id} (${release.outcome})`).join(', ') || 'none';
    const what = requested
      ? `release ${requested} is not in the history`
      : 'there is no earlier successful release';
    throw new Error(`cannot roll back: ${what}. Releases on ${hosts[0]?.label}: ${known}`);
  }
  if (target.id === first.current)
    throw new Error(`cannot roll back: release ${target.id} is already the current one`);
  if (target.outcome !== 'done' && target.outcome !== 'rolled back') {
    throw new Error(
      `cannot roll back: release ${target.id} ended as "${target.outcome}"; only releases that served can come back`,
    );
  }
  histories.forEach((history, index) => {
    if (!history.releases.some((release) => release.id === target.id)) {
      throw new Error(`cannot roll back: release ${target.id} is not on ${hosts[index]?.label}`);
    }
  });
  return target;
}

function rollbackPlan(base: DeployPlan, target: ReleaseRecord, config: Config): DeployPlan {
  // The site file names the release it routes to: the one brought back (what the next deploy reads).
  const site = { app: base.app, release: target.id, domain: config.domain, listen: config.proxy.listen };
  return {
    ...base,
    proxy: { ...base.proxy, content: (upstreamPort) => renderSite({ ...site, upstreamPort }) },
    release: target.id,
    image: target.image,
    build: undefined,
    envFile: undefined,
    container: { ...base.container, name: target.container, image: target.image },
  };
}

async function bringBack(
  plan: DeployPlan,
  hosts: RemoteHost[],
  timed: DeployTimed,
  target: ReleaseRecord,
  histories: History[],
) {
  const discard = async (host: RemoteHost) => {
    await host.run(docker.stop(target.container), { allowFailure: true });
  };
  const cancellation = watchCancellation('rollback', async () => {
    await onEachHost(hosts, discard).catch(() => undefined);
  });
  const launch: Launch = {
    verb: 'restarted',
    start: (host) => restart(host, target.container, plan.container.appPort),
    discard,
    handingOver: () => cancellation.beginHandOver(),
  };
  try {
    const checks = await rollOut(plan, hosts, timed, launch);
    await onEachHost(hosts, async (host) => {
      const history = histories[hosts.indexOf(host)] as History;
      const replaced = history.releases.find((release) => release.id === history.current);
      if (replaced && replaced.id !== target.id) {
        await writeRecord(host, plan.appDir, {
          ...replaced,
          outcome: 'rolled back',
          finishedAt: new Date().toISOString(),
        });
      }
      await setCurrent(host, plan.appDir, target.id);
    });
    await timed('Retire', () =>
      onEachHost(hosts, async (host) => {
        const others = await retireOthers(host, plan);
        core.info(
          `✓ ${others.length ? `${others.join(', ')} will stop in ${plan.retireAfterSeconds}s` : 'nothing to retire'} on ${host.label}`,
        );
        await prune(host, plan.app, plan.appDir, plan.keepReleases);
      }),
    );
    return checks;
  } catch (error) {
    throw new Error(`rollback to ${target.id} failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    cancellation.dispose();
  }
}

type DeployTimed = Parameters<typeof rollOut>[2];

async function restart(host: RemoteHost, container: string, appPort: number) {
  const exists = await host.run(docker.inspectField(container, '{{.State.Status}}'), { allowFailure: true });
  if (exists.code !== 0)
    throw new Error(`the container ${container} is gone from ${host.label} (pruned: see keep-releases)`);
  const startedAt = Date.now();
  await host.run(docker.start(container));
  const result = await host.run(docker.port(container, appPort));
  const match = /127\.0\.0\.1:(\d+)/.exec(result.stdout);
  if (!match?.[1])
    throw new Error(`Docker published no loopback port for ${container}: "${result.stdout.trim()}"`);
  return { port: Number(match[1]), startedAt };
}
