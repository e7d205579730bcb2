import * as core from '@actions/core';
import type { Server } from '../fleet';
import { currentFile } from '../host/state';
import type { DeployPlan } from '../plan/deploy';
import { prune } from './prune';

/**
 * After a hand-over: the app's other running containers stop after the retire delay (without waiting
 * for it), and what is no longer kept for rollbacks is pruned.
 */
export async function retire(server: Server, plan: DeployPlan): Promise<void> {
  const running = await server.runtime.list({ app: plan.app, running: true });
  const others = running.map((container) => container.name).filter((name) => name !== plan.container.name);
  await server.runtime.retireLater(plan.retireAfterSeconds, currentFile(plan.appDir), plan.app, others);
  const what = others.length
    ? `${others.join(', ')} will stop in ${plan.retireAfterSeconds}s`
    : 'no previous container';
  core.info(`✓ ${what} on ${server.label}`);
  await prune(server, plan.app, plan.appDir, plan.keepReleases);
}
