import * as core from '@actions/core';
import type { Server } from '../fleet';
import { currentFile } from '../host/state';
import type { DeployPlan } from '../plan/deploy';
import type { Drained, ReleaseTraffic } from '../proxy';
import { prune } from './prune';

/**
 * After a hand-over: requests in flight to the previous release finish (the proxy drains it, bounded by
 * retire-after), then the app's other running containers stop, without waiting for them. Only containers
 * of releases the proxy drained stop at once; any other (a proxy that cannot drain, or a release nginx's
 * old workers still reach after a reload) keeps running for retire-after. Then what is no longer kept is
 * pruned.
 */
export async function retire(server: Server, plan: DeployPlan): Promise<void> {
  const drained = await server.proxy.drain(plan.app, plan.retireAfterSeconds);
  const running = await server.runtime.list({ app: plan.app, running: true });
  const others = running.filter((container) => container.name !== plan.container.name);
  const done = new Set(drained?.releases.map((entry) => entry.release));
  const now = others.filter((container) => done.has(container.release)).map((container) => container.name);
  const later = others.filter((container) => !done.has(container.release)).map((container) => container.name);
  const current = currentFile(plan.appDir);
  if (now.length) await server.runtime.retireLater(0, current, plan.app, now);
  if (later.length) await server.runtime.retireLater(plan.retireAfterSeconds, current, plan.app, later);
  if (drained) for (const line of drainMessages(drained, plan.retireAfterSeconds)) core.info(line);
  const what = [
    ...(now.length ? [`${now.join(', ')} stopping`] : []),
    ...(later.length ? [`${later.join(', ')} will stop in ${plan.retireAfterSeconds}s`] : []),
  ];
  core.info(`✓ ${what.join('; ') || 'no previous container'} on ${server.label}`);
  const traffic = await server.proxy.traffic(plan.app).catch(() => undefined);
  const served = traffic?.releases.find((entry) => entry.release === plan.release);
  if (served) core.info(`${servedMessage(served)} on ${server.label}`);
  await prune(server, plan.app, plan.appDir, plan.keepReleases);
}

/** One line per drained release: how long it took, and what had to be closed. */
export function drainMessages(drained: Drained, boundSeconds: number): string[] {
  return drained.releases.map(({ release, ms, closed }) =>
    closed
      ? `✓ drained ${release} in ${(ms / 1000).toFixed(2)}s: ${closed} connection(s) still open after ${boundSeconds}s (retire-after) were closed`
      : `✓ drained ${release} in ${(ms / 1000).toFixed(2)}s: every request in flight finished`,
  );
}

/** "RELEASE served 1,204 request(s) in 30.0s since the switch: 0 error(s) (5xx), p50 3 ms, p99 41 ms". */
export function servedMessage(traffic: ReleaseTraffic, now = Date.now()): string {
  const count = traffic.requests.toLocaleString('en-US');
  const window = ((Math.max(traffic.lastAt, now) - traffic.firstAt) / 1000).toFixed(1);
  const ms = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value)} ms`);
  return `${traffic.release} served ${count} request(s) in ${window}s since the switch: ${traffic.errors} error(s) (5xx), p50 ${ms(traffic.p50Ms)}, p99 ${ms(traffic.p99Ms)}`;
}
