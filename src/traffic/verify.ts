import * as core from '@actions/core';
import { describeCheck } from '../checks/model';
import { type CheckResult, ChecksFailedError, runChecks } from '../checks/run';
import { onEachServer, type Server } from '../fleet';
import type { Started } from '../lifecycle/containers';
import type { DeployPlan } from '../plan/deploy';

/** Runs the plan's startup checks against the new container on every server; results of the first. */
export async function checkAll(
  plan: DeployPlan,
  servers: Server[],
  starts: Started[],
): Promise<CheckResult[]> {
  const { suite, timing } = plan.checks;
  if (suite.source === 'skipped') return [];
  const from = suite.file ?? suite.source;
  core.info(`-----> Running ${suite.startup.length} startup check(s) from ${from} (timing: ${timing})`);
  for (const { type, check } of suite.other) {
    core.info(`       not run at deploy: ${type} check ${check.name} (${describeCheck(check)})`);
  }
  const results = await onEachServer(servers, async (server) => {
    const start = starts[servers.indexOf(server)] as Started;
    const target = {
      host: server.shell,
      runtime: server.runtime,
      container: plan.container.name,
      appPort: plan.container.appPort,
      publishedPort: start.port,
      startedAt: start.startedAt,
      address: async () => (await server.runtime.addresses(plan.container.name))[0] ?? '',
    };
    return runChecks(target, suite, timing);
  });
  return results[0] ?? [];
}

/** The failed container's output, in a log group of its own. */
export function showContainerLog(error: ChecksFailedError): void {
  core.startGroup(`Output of ${error.container} (last 100 lines)`);
  core.info(error.containerLog || '(no output)');
  core.endGroup();
}
