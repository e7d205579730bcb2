import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as exec from '@actions/exec';
import { step } from '../log';
import type { DeployPlan } from '../plan/deploy';
import { redact } from '../secrets';

interface Registry {
  server: string;
  username: string;
  password: string;
}

/** Builds the image in the runner, pushes it, and returns the pushed reference with its digest. */
export async function buildAndPush(plan: DeployPlan, workspace: string, tempDir: string): Promise<string> {
  const build = plan.build;
  if (!build) throw new Error('nothing to build');
  const configDir = plan.registry ? mkdtempSync(join(tempDir || tmpdir(), 'baton-docker-')) : undefined;
  try {
    const docker = configDir ? ['--config', configDir] : [];
    if (plan.registry && configDir)
      await step(`logged in to ${plan.registry.server}`, () => login(configDir, plan.registry as Registry));
    const buildx = await hasBuildx(docker);
    const args = buildArgs(
      build,
      plan.image,
      resolve(workspace, build.context),
      resolve(workspace, build.dockerfile),
    );
    if (buildx) {
      const metadata = join(configDir ?? tempDir ?? tmpdir(), `baton-build-${process.pid}.json`);
      await step(`built and pushed ${plan.image} with buildx`, () =>
        docker_(docker, ['buildx', 'build', '--push', '--metadata-file', metadata, ...args]),
      );
      const digest = JSON.parse(readFileSync(metadata, 'utf8'))['containerimage.digest'] as
        string | undefined;
      return digest ? `${plan.image}@${digest}` : plan.image;
    }
    await step(`built ${plan.image}`, () => docker_(docker, ['build', ...args]));
    await step(`pushed ${plan.image}`, () => docker_(docker, ['push', plan.image]));
    return await pushedDigest(docker, plan.image);
  } finally {
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  }
}

function buildArgs(
  build: NonNullable<DeployPlan['build']>,
  image: string,
  context: string,
  dockerfile: string,
) {
  const args = ['--tag', image, '--file', dockerfile];
  for (const [key, value] of Object.entries(build.args)) args.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of Object.entries(build.labels)) args.push('--label', `${key}=${value}`);
  return [...args, context];
}

async function login(configDir: string, registry: Registry): Promise<void> {
  const result = await exec.getExecOutput(
    'docker',
    ['--config', configDir, 'login', '--username', registry.username, '--password-stdin', registry.server],
    { input: Buffer.from(registry.password), silent: true, ignoreReturnCode: true },
  );
  if (result.exitCode !== 0) {
    throw new Error(
      redact(`docker login to ${registry.server} as ${registry.username} failed: ${result.stderr.trim()}`),
    );
  }
}

async function hasBuildx(docker: string[]): Promise<boolean> {
  const result = await exec.getExecOutput('docker', [...docker, 'buildx', 'version'], {
    silent: true,
    ignoreReturnCode: true,
  });
  return result.exitCode === 0;
}

async function docker_(docker: string[], args: string[]): Promise<void> {
  const result = await exec.getExecOutput('docker', [...docker, ...args], { ignoreReturnCode: true });
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(redact(`docker ${args[0]} failed (exit ${result.exitCode}): ${tail}`));
  }
}

async function pushedDigest(docker: string[], image: string): Promise<string> {
  const repository = image.slice(0, image.lastIndexOf(':'));
  const result = await exec.getExecOutput(
    'docker',
    [...docker, 'image', 'inspect', '--format', '{{json .RepoDigests}}', image],
    {
      silent: true,
      ignoreReturnCode: true,
    },
  );
  const digests = result.exitCode === 0 ? (JSON.parse(result.stdout) as string[]) : [];
  return digests.find((entry) => entry.startsWith(`${repository}@`)) ?? image;
}
