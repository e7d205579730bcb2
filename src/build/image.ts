import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { BatonError, ConfigError } from '../errors';
import { step } from '../log';
import { inWorkspace } from '../workspace';
import type { DeployPlan } from '../plan/deploy';
import { legacyCache } from './cache';
import * as docker from './commands';
import type { Build } from './commands';
import { retryPush } from './push';
import { type Credentials, overlayConfigDir, userConfigDir } from './docker-config';

type Env = Record<string, string>;

/**
 * Builds the image in the runner, pushes it, and returns the pushed reference with its digest. Docker
 * runs with the user's own configuration (their logins, buildx builder, plugins); when Baton has
 * registry credentials it logs in to an overlay of that configuration, removed afterwards.
 */
export async function buildAndPush(plan: DeployPlan, workspace: string, tempDir: string): Promise<string> {
  const build = plan.build;
  if (!build) throw new BatonError('nothing to build');
  const scratch = mkdtempSync(join(tempDir || tmpdir(), 'baton-build-'));
  try {
    const env = { ...(process.env as Env) };
    if (plan.registry) {
      env.DOCKER_CONFIG = overlayConfigDir(userConfigDir(), scratch, plan.registry.server);
      await step(`logged in to ${plan.registry.server}`, () => login(env, plan.registry as Credentials));
    }
    const args = [
      ...docker.buildArgs(build, plan.image, existing(workspace, build.dockerfile, 'Dockerfile')),
      ...docker.secretArgs(secretFiles(build.secrets, scratch)),
    ];
    const context = existing(workspace, build.context, 'build context');
    if (await hasBuildx(env)) return await buildx(env, plan.image, build, [...args, context], scratch);
    return await legacy(env, plan.image, build, args, context);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function buildx(env: Env, image: string, build: Build, args: string[], scratch: string) {
  const metadata = join(scratch, 'metadata.json');
  await step(`built and pushed ${image} with buildx`, () =>
    dockerRun(env, docker.buildxBuild(build, metadata, args)),
  );
  const digest = JSON.parse(readFileSync(metadata, 'utf8'))['containerimage.digest'] as string | undefined;
  return digest ? `${image}@${digest}` : image;
}

/** `docker build` without buildx: BuildKit (built into older clients) only when build secrets need it. */
async function legacy(env: Env, image: string, build: Build, args: string[], context: string) {
  const cache = legacyCache(build.cacheFrom, build.cacheTo);
  const buildkit = Object.keys(build.secrets).length > 0 || env.DOCKER_BUILDKIT === '1';
  const buildEnv = buildkit ? { ...env, DOCKER_BUILDKIT: '1' } : env;
  // The classic builder takes cache only from local images; BuildKit reads inline cache from the registry.
  if (!buildkit) for (const ref of cache.from) await pullCache(env, ref);
  const argv = docker.legacyBuild(cache.from, buildkit && build.cacheTo.length > 0, args, context);
  await step(`built ${image}`, () =>
    dockerRun(buildEnv, argv).catch((error: Error) => {
      throw /BuildKit is enabled but the buildx component is missing/.test(error.message)
        ? new ConfigError(`build secrets need BuildKit: ${NO_BUILDKIT}`, {
            kind: 'input',
            name: 'build-secrets',
          })
        : error;
    }),
  );
  await step(`pushed ${image}`, () => retryPush(image, () => dockerRun(env, docker.push(image))));
  for (const ref of cache.to) {
    await step(`pushed the build cache ${ref}`, async () => {
      await dockerRun(env, docker.tag(image, ref));
      await retryPush(ref, () => dockerRun(env, docker.push(ref)));
    });
  }
  return await pushedDigest(env, image);
}

const NO_BUILDKIT =
  'this runner has no docker buildx and its docker client has no built-in BuildKit; set up buildx (e.g. docker/setup-buildx-action)';

async function pullCache(env: Env, ref: string): Promise<void> {
  const result = await output(env, docker.pull(ref));
  const note = result.exitCode === 0 ? 'pulled' : 'could not pull (building without it)';
  core.info(`${note} the build cache ${ref}`);
}

/** Each build secret goes in its own mode-600 file, never on a command line. */
function secretFiles(secrets: Record<string, string>, scratch: string): { name: string; file: string }[] {
  const names = Object.keys(secrets);
  if (!names.length) return [];
  const dir = join(scratch, 'secrets');
  mkdirSync(dir, { mode: 0o700 });
  return names.map((name, index) => {
    const file = join(dir, String(index));
    writeFileSync(file, secrets[name] as string, { mode: 0o600 });
    return { name, file };
  });
}

async function login(env: Env, registry: Credentials): Promise<void> {
  const result = await exec.getExecOutput('docker', docker.login(registry.server, registry.username), {
    env,
    input: Buffer.from(registry.password),
    silent: true,
    ignoreReturnCode: true,
  });
  if (result.exitCode !== 0) {
    throw new BatonError(
      `docker login to ${registry.server} as ${registry.username} failed: ${result.stderr.trim()}`,
    );
  }
}

async function hasBuildx(env: Env): Promise<boolean> {
  return (await output(env, docker.buildxVersion())).exitCode === 0;
}

function output(env: Env, args: string[]) {
  return exec.getExecOutput('docker', args, { env, silent: true, ignoreReturnCode: true });
}

async function dockerRun(env: Env, args: string[]): Promise<void> {
  const result = await exec.getExecOutput('docker', args, { env, ignoreReturnCode: true });
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    throw new BatonError(`docker ${args[0]} failed (exit ${result.exitCode}): ${tail}`);
  }
}

async function pushedDigest(env: Env, image: string): Promise<string> {
  const repository = image.slice(0, image.lastIndexOf(':'));
  const result = await output(env, docker.repoDigests(image));
  const digests = result.exitCode === 0 ? (JSON.parse(result.stdout) as string[]) : [];
  return digests.find((entry) => entry.startsWith(`${repository}@`)) ?? image;
}

/** A path of the checkout that must exist (and, symlinks followed, stay inside the workspace). */
function existing(workspace: string, path: string, what: string): string {
  const real = inWorkspace(workspace, path);
  if (real === undefined)
    throw new BatonError(`${what} ${path} does not exist in the workspace (is there a checkout step?)`);
  return real;
}
