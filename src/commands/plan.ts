import * as core from '@actions/core';
import { describeCheck } from '../checks/model';
import { onEachServer, type Server } from '../fleet';
import { readHistory } from '../host/state';
import { retained } from '../model/release';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import { longestSeconds } from '../plan/traffic';
import type { Thresholds } from '../model/thresholds';
import { mib } from '../traffic/canary/analysis';
import { type Frame, withServers } from './frame';

/**
 * The `plan` command: connects, reads what each host runs, and prints what a deploy would do. It only
 * reads (no lock, no files, no containers), so it can run at any time, even during a deploy.
 */
export async function plan(frame: Frame): Promise<DeployPlan> {
  const deploy = planDeploy(frame.config, frame.context, new Date());
  core.info(`Plan for ${deploy.app} release ${deploy.release} (nothing is changed)`);
  core.info(
    deploy.build
      ? `- build ${deploy.image} from ${deploy.build.context} (${deploy.build.dockerfile}) and push it`
      : `- deploy the existing image ${deploy.image}`,
  );
  const { suite, timing } = deploy.checks;
  core.info(`- checks from ${suite.file ?? suite.source} (timing ${timing}):`);
  for (const check of suite.startup)
    core.info(`    ${check.name} (${check.origin}): ${describeCheck(check)}`);
  for (const warning of deploy.checks.warnings) core.info(`    note: ${warning}`);
  for (const line of describeRoute(deploy)) core.info(line);
  for (const line of describeTraffic(deploy)) core.info(line);
  await withServers(frame, (servers) => onEachServer(servers, (server) => describeServer(server, deploy)));
  return deploy;
}

/** What nginx will serve: plain HTTP, or HTTPS with a redirect; and the ACME challenges. */
export function describeRoute(plan: DeployPlan): string[] {
  const { route } = plan;
  const lines = route.tls
    ? [
        `- serve ${plan.url} over HTTPS on ${route.tls.listen} (certificate ${route.tls.certificate}, key ${route.tls.key}); plain HTTP on ${route.listen} redirects to it (301)`,
      ]
    : [`- serve ${plan.url} over plain HTTP on ${route.listen}`];
  if (route.acmeWebroot)
    lines.push(
      `- serve ACME challenges (/.well-known/acme-challenge/) from ${route.acmeWebroot} over plain HTTP`,
    );
  return lines;
}

/** How traffic would move: the canary's steps, durations and thresholds, or all at once and why. */
export function describeTraffic(plan: DeployPlan): string[] {
  const { traffic } = plan;
  if (traffic.strategy === 'all-at-once')
    return [`- move all traffic at once after the checks (${traffic.why})`];
  const { canary } = traffic;
  const t = canary.thresholds;
  const steps = canary.steps.map((percent) => `${percent}%`).join(' → ');
  const lines = [
    `- move traffic in canary steps ${steps} (when a release serves already; a first deploy moves at once):`,
    `    each step below 100% lasts ${canary.stepSeconds}s (up to ${canary.stepSeconds * 2}s while it waits for ${t.minRequests} requests or a failing check clears; then ${canary.onQuiet === 'fail' ? 'fail' : 'promote with a warning'})`,
    `    checks every ${canary.checkSeconds}s; ${canary.failureLimit} failing check(s) in a row send all traffic back to the previous release`,
    `    thresholds: 5xx ≤ ${pct(t.maxErrorRate)} and ≤ the old release's + ${Number((t.maxErrorRateRise * 100).toFixed(2))} points; p99 ≤ ${t.maxP99Ms} ms and ≤ ${t.maxP99Ratio}× the old release's (+${t.p99SlackMs} ms)${usage(t)}`,
    canary.cooldownSeconds
      ? `    cooldown: watch ${canary.cooldownSeconds}s at 100% (the previous release keeps running until then)`
      : '    no cooldown (canary-cooldown 0)',
    `    longest: ${longestSeconds(canary)}s after the checks`,
  ];
  return lines;
}

function pct(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

function usage(t: Thresholds): string {
  const parts = [
    ...(t.maxCpuPercent !== undefined ? [`CPU ≤ ${t.maxCpuPercent}%`] : []),
    ...(t.maxMemoryBytes !== undefined ? [`memory ≤ ${mib(t.maxMemoryBytes)}`] : []),
  ];
  return parts.length ? `; ${parts.join(', ')}` : '';
}

async function describeServer(server: Server, plan: DeployPlan): Promise<void> {
  const history = await readHistory(server.shell, plan.appDir);
  const running = (await server.runtime.list({ app: plan.app, running: true })).map((c) => c.name);
  const route = await server.proxy.describe(plan.app);
  const proxy = server.proxy.name;
  const kept = retained(
    { ...history, releases: [{ id: plan.release, outcome: 'done' } as never, ...history.releases] },
    plan.keepReleases,
  );
  const pruned = history.releases.filter((release) => !kept.has(release.id)).map((release) => release.id);
  const lines = [
    `${server.label}:`,
    `  current release: ${history.current ?? '(none)'}; running: ${running.join(', ') || '(nothing)'}`,
    `  would pull ${plan.image} and start ${plan.container.name} beside it, on 127.0.0.1:<port Docker picks> → ${plan.container.appPort}`,
    route.live
      ? `  ${proxy}: ${route.where} now sends ${plan.url} to ${route.upstreams.join(', ') || '?'}; would point it at the new container`
      : `  ${proxy}: would create ${route.where} for ${plan.url}`,
    `  would retire ${running.join(', ') || 'nothing'} after ${plan.retireAfterSeconds}s`,
    `  would prune: ${pruned.join(', ') || 'nothing'} (keep-releases ${plan.keepReleases})`,
  ];
  for (const line of lines) core.info(line);
}
