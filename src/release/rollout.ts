import * as core from '@actions/core';
import { describeCheck } from '../checks/model';
import type { Target } from '../checks/probes';
import { type CheckResult, ChecksFailedError, runChecks } from '../checks/run';
import * as docker from '../commands/docker';
import { findCause } from '../errors';
import { step } from '../log';
import type { DeployPlan } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';
import { revertTraffic, type Staged, stageSite, switchTraffic, unstage } from './handover';
import { onEachHost } from './hosts';

export type Timed = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/** How a release's container comes up and, if it never takes traffic, goes away. */
export interface Launch {
  /** Verb for the log: started, restarted. */
  verb: string;
  start(host: RemoteHost): Promise<{ port: number; startedAt: number }>;
  discard(host: RemoteHost): Promise<void>;
  /** Called once, right before the first nginx swap; throws to stop the release before traffic moves. */
  handingOver(): void;
}

/** Start, run the checks, hand over. Until traffic has moved everywhere, a failure undoes it all. */
export async function rollOut(
  plan: DeployPlan,
  hosts: RemoteHost[],
  timed: Timed,
  launch: Launch,
): Promise<CheckResult[]> {
  const started: RemoteHost[] = [];
  const switched: Staged[] = [];
  let staging: Promise<Staged[]> | undefined;
  try {
    const starts = await timed('Start', () =>
      onEachHost(hosts, (host) => {
        started.push(host);
        return step(`${launch.verb} ${plan.container.name}`, () => launch.start(host), host.label);
      }),
    );
    // The new nginx file is written beside the live one while the checks run, so the hand-over is one step.
    staging = onEachHost(hosts, (host) => stageSite(host, plan, starts[hosts.indexOf(host)]?.port as number));
    staging.catch(() => undefined);
    const checks = await timed('Checks', () => checkAll(plan, hosts, starts));
    const staged = await staging;
    launch.handingOver();
    await timed('Hand-over', () =>
      onEachHost(hosts, async (host) => {
        const entry = staged[hosts.indexOf(host)] as Staged;
        const port = starts[hosts.indexOf(host)]?.port;
        await step(
          `nginx now routes ${plan.url} to port ${port}`,
          () => switchTraffic(entry, plan),
          host.label,
        );
        switched.push(entry);
      }),
    );
    return checks;
  } catch (error) {
    const failed = findCause(error, ChecksFailedError);
    if (failed) showContainerLog(failed);
    await staging?.catch(() => undefined);
    await undo(plan, started, switched, launch);
    throw error;
  }
}

async function checkAll(
  plan: DeployPlan,
  hosts: RemoteHost[],
  starts: { port: number; startedAt: number }[],
) {
  const { suite, timing } = plan.checks;
  if (suite.source === 'skipped') {
    return [];
  }
  const from = suite.file ?? suite.source;
  core.info(`-----> Running ${suite.startup.length} startup check(s) from ${from} (timing: ${timing})`);
  for (const { type, check } of suite.other) {
    core.info(`       not run at deploy: ${type} check ${check.name} (${describeCheck(check)})`);
  }
  const results = await onEachHost(hosts, async (host) => {
    const start = starts[hosts.indexOf(host)] as { port: number; startedAt: number };
    const target: Target = {
      host,
      container: plan.container.name,
      appPort: plan.container.appPort,
      publishedPort: start.port,
      startedAt: start.startedAt,
      address: async () =>
        (await host.run(docker.addresses(plan.container.name))).stdout.trim().split(' ')[0] ?? '',
    };
    return runChecks(target, suite, timing);
  });
  return results[0] ?? [];
}

function showContainerLog(error: ChecksFailedError): void {
  core.startGroup(`Output of ${error.container} (last 100 lines)`);
  core.info(error.containerLog || '(no output)');
  core.endGroup();
}

async function undo(
  plan: DeployPlan,
  started: RemoteHost[],
  switched: Staged[],
  launch: Launch,
): Promise<void> {
  for (const entry of switched) {
    await revertTraffic(entry, plan).catch((error) =>
      core.warning(`could not revert nginx on ${entry.host.label}: ${error}`),
    );
  }
  for (const host of started) {
    await unstage(host, plan);
    await launch
      .discard(host)
      .catch((error) =>
        core.warning(`could not take ${plan.container.name} down on ${host.label}: ${error}`),
      );
    core.info(`took ${plan.container.name} down on ${host.label}; the previous release keeps serving`);
  }
}
