import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { describeCheck } from './checks/model';
import { attemptText } from './checks/run';
import { loadConfig } from './config';
import { readRunContext } from './config/context';
import { errorMessage } from './errors';
import { type DeployResult, deploy } from './release/deploy';
import { destroy } from './release/destroy';
import { cleanUpAfterKill } from './release/post';
import { dryRun } from './release/dry-run';
import { rollback } from './release/rollback';
import { type HostStatus, historyRows, status } from './release/status';
import { redact, registerSecret } from './secrets';

const SECRET_INPUTS = ['registry-password', 'github-token', 'ssh-key'];

export async function run(): Promise<void> {
  if (core.getState('baton-post') === 'true') return runPost();
  core.saveState('baton-post', 'true');
  try {
    maskSecretInputs();
    const context = readRunContext(process.env);
    const config = loadConfig({
      getInput: (name) => core.getInput(name),
      readFile: (path) => readOptional(resolve(context.workspace, path)),
      context,
    });
    for (const value of Object.values(config.secrets)) registerSecret(value);
    registerSecret(config.registry.password);
    for (const warning of config.checks.warnings) core.warning(warning);
    switch (config.command) {
      case 'deploy':
        await report(await deploy(config, context));
        break;
      case 'rollback':
        await report(await rollback(config, context));
        break;
      case 'destroy':
        await destroy(config, context);
        break;
      case 'plan':
        await dryRun(config, context);
        break;
      case 'status':
        await reportStatus(await status(config));
        break;
    }
  } catch (error) {
    core.setFailed(redact(errorMessage(error)));
  }
}

/** The post step: only cleans up after a killed deploy; it never fails the job on its own. */
async function runPost(): Promise<void> {
  try {
    maskSecretInputs();
    const context = readRunContext(process.env);
    const config = loadConfig({
      getInput: (name) => core.getInput(name),
      readFile: (path) => readOptional(resolve(context.workspace, path)),
      context,
    });
    if (config.command === 'deploy') await cleanUpAfterKill(config);
  } catch (error) {
    core.warning(redact(`post-step cleanup: ${errorMessage(error)}`));
  }
}

function maskSecretInputs(): void {
  for (const name of SECRET_INPUTS) registerSecret(core.getInput(name));
  for (const line of core.getInput('secrets').split(/\r?\n/)) {
    registerSecret(line);
    registerSecret(line.slice(line.indexOf('=') + 1));
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function report(result: DeployResult): Promise<void> {
  const { plan, image, phases } = result;
  core.setOutput('url', plan.url);
  core.setOutput('image', image);
  core.setOutput('release', plan.release);
  core.setOutput('previous-release', result.previousRelease ?? '');
  core.info(`Deployed ${plan.app} release ${plan.release} to ${plan.url}`);
  await core.summary
    .addHeading(`Deployed ${plan.app}`, 3)
    .addTable([
      [
        { data: 'Release', header: true },
        { data: 'Image', header: true },
        { data: 'URL', header: true },
      ],
      [plan.release, image, plan.url],
    ])
    .addTable([
      [
        { data: 'Phase', header: true },
        { data: 'Time', header: true },
      ],
      ...phases.map((entry) => [entry.name, `${entry.seconds.toFixed(2)}s`]),
    ])
    .addRaw(rollbackHint(result), true)
    .addHeading('Checks', 4)
    .addRaw(checksSummary(result), true)
    .addList(plan.hosts.map((host) => `${host.user}@${host.host}:${host.port}`))
    .write()
    .catch((error) => core.warning(`could not write the job summary: ${errorMessage(error)}`));
}

function checksSummary({ plan, checks }: DeployResult): string {
  const warnings = plan.checks.warnings.map((warning) => `> [!WARNING]\n> ${warning}\n`).join('\n');
  if (plan.checks.suite.source === 'skipped') return warnings;
  const rows = checks.map(({ check, ok, attempt, got, elapsedMs }) => {
    const outcome = `${ok ? 'passed' : 'failed'} on attempt ${attemptText(check, attempt)} in ${(elapsedMs / 1000).toFixed(2)}s`;
    return `| ${check.name} | ${check.origin} | ${escape(describeCheck(check))} | ${outcome} | ${escape(got)} |`;
  });
  const source = plan.checks.suite.file ?? plan.checks.suite.source;
  return `${warnings}\nFrom ${source}, timing ${plan.checks.timing}.\n\n| Check | Declared in | Expects | Result | Got |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

async function reportStatus(hosts: HostStatus[]): Promise<void> {
  const first = hosts[0];
  core.setOutput('release', first?.history.current ?? '');
  const summary = core.summary.addHeading('Releases', 3);
  for (const { host, history } of hosts) {
    summary.addHeading(`${host}: current ${history.current ?? '(none)'}`, 4).addTable([
      ['Release', 'Outcome', 'Image', 'Commit', 'Actor', 'Started', 'Finished'].map((data) => ({
        data,
        header: true,
      })),
      ...historyRows(history),
    ]);
  }
  await summary
    .write()
    .catch((error) => core.warning(`could not write the job summary: ${errorMessage(error)}`));
}

function rollbackHint({ previousRelease, retained }: DeployResult): string {
  const lines: string[] = [];
  if (previousRelease)
    lines.push(`\nPrevious release: \`${previousRelease}\` (roll back with \`command: rollback\`).`);
  if (retained?.length) lines.push(`\nKept for rollback: ${retained.map((id) => `\`${id}\``).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}
