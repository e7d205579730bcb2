// The runner's Docker client configuration: the user's own (docker/login-action credentials, the builder
// of docker/setup-buildx-action, CLI plugins, contexts), or an overlay of it for Baton's own login.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BatonError } from '../errors';

interface ConfigJson {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export interface Credentials {
  server: string;
  username: string;
  password: string;
}

/** Where the docker CLI reads its configuration from, as it does: $DOCKER_CONFIG, else ~/.docker. */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), '.docker');
}

/** The registry host a config key names: `https://ghcr.io/` and `ghcr.io` are one; Docker Hub has aliases. */
export function registryHost(key: string): string {
  const host =
    key
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0]
      ?.toLowerCase() ?? '';
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host) ? 'docker.io' : host;
}

function readConfig(dir: string): ConfigJson {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ConfigJson;
  } catch (error) {
    throw new BatonError(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A new config dir (under `parent`, mode 700) that sees everything of the user's — builders, plugins,
 * contexts, other registries' credentials — except its credentials for `server`, so that Baton's
 * `docker login` lands here and goes when the dir is removed. A credential store becomes per-registry
 * helpers for the registries it holds, so a login cannot write into it.
 */
export function overlayConfigDir(userDir: string, parent: string, server: string): string {
  const dir = mkdtempSync(join(parent, 'baton-docker-'));
  const entries = existsSync(userDir) ? readdirSync(userDir) : [];
  for (const name of entries.filter((entry) => entry !== 'config.json')) {
    symlinkSync(join(userDir, name), join(dir, name));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(withoutServer(readConfig(userDir), server)), {
    mode: 0o600,
  });
  return dir;
}

export function withoutServer(config: ConfigJson, server: string): ConfigJson {
  const { credsStore, credHelpers = {}, auths = {}, ...rest } = config;
  const host = registryHost(server);
  const mine = (key: string) => registryHost(key) === host;
  const helpers = { ...credHelpers };
  if (credsStore) for (const key of Object.keys(auths)) helpers[key] ??= credsStore;
  const keep = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).filter(([key]) => !mine(key)));
  return { ...rest, auths: keep(auths), credHelpers: keep(helpers) };
}

/**
 * The user's credentials for a registry (e.g. from docker/login-action), from config.json or its
 * credential helper; undefined when there are none (or only an identity token, which `docker login`
 * cannot take).
 */
export function userCredentials(userDir: string, server: string): Credentials | undefined {
  const config = readConfig(userDir);
  const host = registryHost(server);
  const key = [...Object.keys(config.auths ?? {}), ...Object.keys(config.credHelpers ?? {})].find(
    (entry) => registryHost(entry) === host,
  );
  if (!key) return undefined;
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  const found = helper ? fromHelper(helper, key) : fromAuth(config.auths?.[key]?.auth);
  return found && found.username !== '<token>' ? { server, ...found } : undefined;
}

function fromAuth(auth: string | undefined) {
  if (!auth) return undefined;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? { username: text.slice(0, colon), password: text.slice(colon + 1) } : undefined;
}

function fromHelper(helper: string, key: string) {
  const result = spawnSync(`docker-credential-${helper}`, ['get'], { input: key, encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const { Username, Secret } = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
  return Username && Secret ? { username: Username, password: Secret } : undefined;
}
