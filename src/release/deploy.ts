import * as core from '@actions/core';
import { buildAndPush } from '../build/image';
import { type CheckResult, ChecksFailedError, runChecks } from '../checks/run';
import type { Target } from '../checks/probes';
import { describeCheck } from '../checks/model';
import * as docker from '../commands/docker';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { findCause } from '../errors';
import { phase, step } from '../log';
import { type DeployPlan, planDeploy } from '../plan/deploy';
import type { RemoteHost } from '../remote/ssh';
import { discardContainer, pullImage, retireOthers, startContainer } from './container';
import { revertTraffic, type Staged, stageSite, switchTraffic, unstage } from './handover';
import { connectAll, onEachHost } from './hosts';

export interface DeployResult {
  plan: DeployPlan;
  /** The image as pushed, with its digest when known. */
  image: string;
  phases: { name: string; seconds: number }[];
  /** Check results on the first host (every host ran the same checks). */
  checks: CheckResult[];
}

export async function deploy(config: Config, context: RunContext): Promise<DeployResult> {
  const plan = planDeploy(config, context, new Date());
  const phases: DeployResult['phases'] = [];
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await phase(name, work);
    phases.push({ name, seconds: (Date.now() - started) / 1000 });
    return result;
  };
  core.info(`Deploying ${plan.app} release ${plan.release} (${plan.image}) to ${plan.hosts.length} host(s)`);

  const hosts = await timed('Connect', () => connect(config));
  try {
    let image = plan.image;
    if (plan.build)
      image = await timed('Build', () => buildAndPush(plan, context.workspace, context.runnerTemp));
    await timed('Pull', () =>
      onEachHost(hosts, (host) => step(`pulled ${plan.image}`, () => pullImage(host, plan), host.label)),
    );
    const checks = await rollOut(plan, hosts, timed);
    await timed('Retire', () => onEachHost(hosts, (host) => retire(host, plan)));
    return { plan, image, phases, checks };
  } finally {
    for (const host of hosts) host.dispose();
  }
}

async function connect(config: Config): Promise<RemoteHost[]> {
  const hosts = await connectAll(config);
  for (const host of hosts) {
    if (host.note) core.warning(host.note);
    core.info(`✓ connected to ${host.label}`);
  }
  return hosts;
}

type Timed = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/** Start, run the checks, hand over. Until traffic has moved everywhere, a failure undoes it all. */
async function rollOut(plan: DeployPlan, hosts: RemoteHost[], timed: Timed): Promise<CheckResult[]> {
  const started: RemoteHost[] = [];
  const switched: Staged[] = [];
  let staging: Promise<Staged[]> | undefined;
  try {
    const starts = await timed('Start', () =>
      onEachHost(hosts, (host) => {
        started.push(host);
        return step(`started ${plan.container.name}`, () => startContainer(host, plan), host.label);
      }),
    );
    // The new nginx file is written beside the live one while the checks run, so the hand-over is one step.
    staging = onEachHost(hosts, (host) => stageSite(host, plan, starts[hosts.indexOf(host)]?.port as number));
    staging.catch(() => undefined);
    const checks = await timed('Checks', () => checkAll(plan, hosts, starts));
    const staged = await staging;
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
    await undo(plan, started, switched);
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

async function undo(plan: DeployPlan, started: RemoteHost[], switched: Staged[]): Promise<void> {
  for (const entry of switched) {
    await revertTraffic(entry, plan).catch((error) =>
      core.warning(`could not revert nginx on ${entry.host.label}: ${error}`),
    );
  }
  for (const host of started) {
    await unstage(host, plan);
    await discardContainer(host, plan).catch((error) =>
      core.warning(`could not remove ${plan.container.name} on ${host.label}: ${error}`),
    );
    core.info(`removed ${plan.container.name} from ${host.label}; the previous release keeps serving`);
  }
}

async function retire(host: RemoteHost, plan: DeployPlan): Promise<void> {
  const others = await retireOthers(host, plan);
  const what = others.length
    ? `${others.join(', ')} will stop in ${plan.retireAfterSeconds}s`
    : 'no previous container';
  core.info(`✓ ${what} on ${host.label}`);
}
