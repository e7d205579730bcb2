import * as core from '@actions/core';
import { describeCheck } from '../checks/model';
import * as docker from '../commands/docker';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';
import { readHistory, retained } from './history';
import { connect, disconnect, onEachHost } from './session';

/**
 * The `plan` command: connects, reads what each host runs, and prints what a deploy would do. It only
 * reads (no lock, no files, no containers), so it can run at any time, even during a deploy.
 */
export async function dryRun(config: Config, context: RunContext): Promise<DeployPlan> {
  const plan = planDeploy(config, context, new Date());
  core.info(`Plan for ${plan.app} release ${plan.release} (nothing is changed)`);
  core.info(
    plan.build
      ? `- build ${plan.image} from ${plan.build.context} (${plan.build.dockerfile}) and push it`
      : `- deploy the existing image ${plan.image}`,
  );
  const { suite, timing } = plan.checks;
  core.info(`- checks from ${suite.file ?? suite.source} (timing ${timing}):`);
  for (const check of suite.startup)
    core.info(`    ${check.name} (${check.origin}): ${describeCheck(check)}`);
  for (const warning of plan.checks.warnings) core.info(`    note: ${warning}`);
  const hosts = await connect(config);
  try {
    await onEachHost(hosts, (host) => describeHost(host, plan));
  } finally {
    disconnect(hosts);
  }
  return plan;
}

async function describeHost(host: RemoteHost, plan: DeployPlan): Promise<void> {
  const history = await readHistory(host, plan.appDir);
  const running = (await host.run(docker.appContainers(plan.app, 'running'))).stdout
    .split('\n')
    .filter((name) => name.trim());
  const site = await host.readFile(plan.proxy.file);
  const upstream = site && /proxy_pass\s+http:\/\/([^;\s]+)/.exec(site)?.[1];
  const kept = retained(
    { ...history, releases: [{ id: plan.release, outcome: 'done' } as never, ...history.releases] },
    plan.keepReleases,
  );
  const pruned = history.releases.filter((release) => !kept.has(release.id)).map((release) => release.id);
  const lines = [
    `${host.label}:`,
    `  current release: ${history.current ?? '(none)'}; running: ${running.join(', ') || '(nothing)'}`,
    `  would pull ${plan.image} and start ${plan.container.name} beside it, on 127.0.0.1:<port Docker picks> → ${plan.container.appPort}`,
    site === undefined
      ? `  nginx: would create ${plan.proxy.file} for ${plan.url}`
      : `  nginx: ${plan.proxy.file} now sends ${plan.url} to ${upstream ?? '?'}; would point it at the new container`,
    `  would retire ${running.join(', ') || 'nothing'} after ${plan.retireAfterSeconds}s`,
    `  would prune: ${pruned.join(', ') || 'nothing'} (keep-releases ${plan.keepReleases})`,
  ];
  for (const line of lines) core.info(line);
}
