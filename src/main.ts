import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from './config';
import { readRunContext } from './config/context';
import { errorMessage } from './errors';
import { type DeployResult, deploy } from './release/deploy';
import { redact, registerSecret } from './secrets';

const SECRET_INPUTS = ['registry-password', 'github-token', 'ssh-key'];

export async function run(): Promise<void> {
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
    const result = await deploy(config, context);
    await report(result);
  } catch (error) {
    core.setFailed(redact(errorMessage(error)));
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

async function report({ plan, image, phases }: DeployResult): Promise<void> {
  core.setOutput('url', plan.url);
  core.setOutput('image', image);
  core.setOutput('release', plan.release);
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
    .addList(plan.hosts.map((host) => `${host.user}@${host.host}:${host.port}`))
    .write()
    .catch((error) => core.warning(`could not write the job summary: ${errorMessage(error)}`));
}
