// The docker command lines of the build on the runner, as argument arrays (without the leading
// `docker`). Nothing here runs anything: image.ts runs them.

import type { DeployPlan } from '../plan/deploy';

export type Build = NonNullable<DeployPlan['build']>;

/** What every build takes: the tag, the Dockerfile, target, build args and labels. */
export function buildArgs(build: Build, image: string, dockerfile: string): string[] {
  const args = ['--tag', image, '--file', dockerfile];
  if (build.target) args.push('--target', build.target);
  for (const [key, value] of Object.entries(build.args)) args.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of Object.entries(build.labels)) args.push('--label', `${key}=${value}`);
  return args;
}

/** One --secret per build secret, each read from its own file: never a value on a command line. */
export function secretArgs(files: { name: string; file: string }[]): string[] {
  return files.flatMap(({ name, file }) => ['--secret', `id=${name},src=${file}`]);
}

/** buildx builds and pushes in one go, and writes the pushed digest to `metadata`. */
export function buildxBuild(build: Build, metadata: string, args: string[]): string[] {
  const cache = [
    ...build.cacheFrom.flatMap((entry) => ['--cache-from', entry]),
    ...build.cacheTo.flatMap((entry) => ['--cache-to', entry]),
  ];
  return ['buildx', 'build', '--push', '--metadata-file', metadata, ...cache, ...args];
}

/** `docker build` without buildx; `inlineCache` asks BuildKit to embed its cache in the image. */
export function legacyBuild(
  cacheFrom: string[],
  inlineCache: boolean,
  args: string[],
  context: string,
): string[] {
  const inline = inlineCache ? ['--build-arg', 'BUILDKIT_INLINE_CACHE=1'] : [];
  return ['build', ...cacheFrom.flatMap((ref) => ['--cache-from', ref]), ...inline, ...args, context];
}

export function login(server: string, username: string): string[] {
  return ['login', '--username', username, '--password-stdin', server];
}

export function buildxVersion(): string[] {
  return ['buildx', 'version'];
}

export function pull(ref: string): string[] {
  return ['pull', '--quiet', ref];
}

export function tag(image: string, ref: string): string[] {
  return ['tag', image, ref];
}

export function push(ref: string): string[] {
  return ['push', ref];
}

/** Prints the image's repo digests as JSON. */
export function repoDigests(image: string): string[] {
  return ['image', 'inspect', '--format', '{{json .RepoDigests}}', image];
}
