import { ConfigError, type Source } from '../errors';
import { resolveChecks } from '../checks/resolve';
import type { Timing } from '../checks/model';
import type { RunContext } from './context';
import { type FileEntry, parseConfigFile } from './file';
import { parseHost } from './hosts';
import { type ImageName, parseImage } from './image';
import { type Command, COMMANDS, type Config, type ConfigSources } from './types';
import {
  applyPreview,
  checkAppName,
  checkPreviewHost,
  decidePreview,
  isDomain,
  readPreviewSettings,
} from './preview';
import { cpuLimit, memoryLimit } from './resources';
import { fileRefusal, isSettingName, SETTINGS, type SettingName } from './settings';
import { checkKnownHosts, checkPrivateKey } from './ssh';
import { asBoolean, asCommand, asInteger, asKeyValues, asLines, asList, asString } from './values';

export type { HostSpec } from './hosts';
export type { ImageName } from './image';
export type { Command, Config, ConfigSources, PreviewSettings, PreviewTarget } from './types';

interface Raw {
  value: unknown;
  source: Source;
}

const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Reads inputs and baton.yml (inputs win), validates every value, and fills in defaults. Pure. */
export function loadConfig(sources: ConfigSources): Config {
  const file = readConfigFile(sources);
  const get = (name: SettingName): Raw => {
    const input = sources.getInput(name);
    if (input !== '') return { value: input, source: { kind: 'input', name } };
    const entry = file.get(name);
    if (entry && entry.value !== null) return entry;
    return { value: SETTINGS[name].default, source: { kind: 'input', name } };
  };
  const str = (name: SettingName) => asString(get(name).value, get(name).source);
  const int = (name: SettingName, min: number, max: number) =>
    asInteger(get(name).value, get(name).source, min, max);
  const { context } = sources;

  const command = str('command');
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new ConfigError(
      `unknown command "${command}"; expected one of: ${COMMANDS.join(', ')}`,
      get('command').source,
    );
  }
  const app = str('app') || defaultAppName(context.repository);
  if (!APP_NAME.test(app)) {
    throw new ConfigError(
      `"${app}" is not a valid app name: use a-z, 0-9 and -, at most 63 characters`,
      get('app').source,
    );
  }
  checkAppName(app, get('app').source);
  const previews = readPreviewSettings(get);
  const event = sources.event ?? { name: '', action: '', sha: context.sha };
  const preview = decidePreview(previews, event, app, get('app').source);
  const build = asBoolean(get('build').value, get('build').source);
  const image = resolveImage(str('image') || defaultImage(context.repository), build, get('image').source);
  const context_ = workspacePath(str('context') || '.', get('context').source);
  const hostsRaw = get('hosts');
  const hosts = asList(hostsRaw.value, hostsRaw.source).map((text) => parseHost(text, hostsRaw.source));
  const previewHosts = (preview || command === 'prune-previews') && previews.hosts.length > 0;
  if (hosts.length === 0 && !previewHosts)
    throw new ConfigError('at least one host is required (user@host[:port])', hostsRaw.source);
  const privateKey = str('ssh-key');
  if (!privateKey) throw new ConfigError('an SSH private key is required', get('ssh-key').source);
  const passphrase = str('ssh-key-passphrase');
  const knownHosts = str('known-hosts');
  const warnings = [
    ...checkPrivateKey(privateKey, get('ssh-key').source, passphrase, get('ssh-key-passphrase').source),
    ...checkKnownHosts(knownHosts, get('known-hosts').source),
  ];
  const domain = str('domain');
  const needsDomain = !preview && (command === 'deploy' || command === 'rollback' || command === 'plan');
  if (!isDomain(domain) && (needsDomain || domain)) {
    throw new ConfigError(
      domain ? `"${domain}" is not a domain name` : 'a domain is required: nginx routes it to the app',
      get('domain').source,
    );
  }
  if (preview) checkPreviewHost(preview, domain, previews);
  const readyPath = checkPath(str('ready-path'), get('ready-path').source);
  const env = asKeyValues(get('env').value, get('env').source);
  const secrets = asKeyValues(get('secrets').value, get('secrets').source, true);
  for (const key of Object.keys(secrets)) {
    if (key in env) throw new ConfigError(`${key} is set in both env and secrets`, get('secrets').source);
  }
  const release = str('release');
  if (release && !/^[\w.-]+$/.test(release)) {
    throw new ConfigError(`"${release}" is not a release id (see the status command)`, get('release').source);
  }
  const config: Config = {
    command: preview?.remove && command === 'deploy' ? 'destroy' : (command as Command),
    environment: environmentName(str('environment'), get('environment').source),
    rollbackTo: release,
    confirm: str('confirm'),
    app,
    image,
    build: {
      enabled: build,
      context: context_,
      dockerfile:
        workspacePath(str('dockerfile'), get('dockerfile').source) ||
        `${context_.replace(/\/+$/, '')}/Dockerfile`,
      args: asKeyValues(get('build-args').value, get('build-args').source),
      target: str('target'),
      cacheFrom: asLines(get('cache-from').value, get('cache-from').source),
      cacheTo: asLines(get('cache-to').value, get('cache-to').source),
      secrets: asKeyValues(get('build-secrets').value, get('build-secrets').source, true),
    },
    registry: resolveRegistry(
      image,
      str('registry-username'),
      str('registry-password'),
      str('github-token'),
      context,
    ),
    githubToken: str('github-token'),
    hosts,
    ssh: {
      privateKey,
      passphrase,
      knownHosts,
      trustFirstUse: asBoolean(get('trust-first-use').value, get('trust-first-use').source),
    },
    appPort: int('app-port', 1, 65535),
    domain: domain.toLowerCase(),
    env,
    secrets,
    readiness: { path: readyPath, timeoutSeconds: int('ready-timeout', 1, 3600) },
    checks: {
      ...resolveChecks(
        {
          file: workspacePath(str('checks'), get('checks').source),
          fileSource: get('checks').source,
          healthcheckPath: checkPath(str('healthcheck-path'), get('healthcheck-path').source),
          healthcheckSource: get('healthcheck-path').source,
          skip: asBoolean(get('skip-checks').value, get('skip-checks').source),
          context: context_,
          readyPath,
          readyTimeout: int('ready-timeout', 1, 3600),
          defaultChecksWait: int('default-checks-wait', 0, 3600),
        },
        sources.readFile,
      ),
      timing: timing(str('checks-timing'), get('checks-timing').source),
    },
    retireAfterSeconds: int('retire-after', 0, 86400),
    proxy: {
      listen: listenAddress(str('nginx-listen'), get('nginx-listen').source),
      confDir: absolutePath(str('nginx-conf-dir'), get('nginx-conf-dir').source),
      testCommand: asCommand(get('nginx-test-command').value, get('nginx-test-command').source),
      reloadCommand: asCommand(get('nginx-reload-command').value, get('nginx-reload-command').source),
    },
    stateDir: absolutePath(str('state-dir'), get('state-dir').source),
    keepReleases: int('keep-releases', 1, 100),
    lockTimeoutSeconds: int('lock-timeout', 0, 86_400),
    resources: {
      memory: memoryLimit(str('memory'), get('memory').source),
      cpus: cpuLimit(str('cpus'), get('cpus').source),
    },
    previews,
    warnings,
  };
  return preview ? applyPreview(config, preview) : config;
}

function readConfigFile(sources: ConfigSources): Map<string, FileEntry> {
  const given = sources.getInput('config');
  const path = workspacePath(given || SETTINGS.config.default, { kind: 'input', name: 'config' });
  const text = sources.readFile(path);
  if (text === undefined) {
    if (given)
      throw new ConfigError(`config file "${given}" does not exist`, { kind: 'input', name: 'config' });
    return new Map();
  }
  const entries = parseConfigFile(text, path);
  for (const [key, entry] of entries) {
    if (!isSettingName(key)) throw new ConfigError(`unknown setting "${key}"`, entry.source);
    const refusal = fileRefusal(key);
    if (refusal) throw new ConfigError(`"${key}" cannot be set in ${path}: it ${refusal}`, entry.source);
  }
  return entries;
}

function resolveImage(text: string, build: boolean, source: Source): ImageName {
  if (!text) throw new ConfigError('an image is required, e.g. ghcr.io/acme/web', source);
  const image = parseImage(text, source);
  if (build && (image.tag || image.digest)) {
    throw new ConfigError(
      'give the repository without a tag when Baton builds (it tags with the commit SHA), or set build: false',
      source,
    );
  }
  if (!build && !image.tag && !image.digest) {
    throw new ConfigError(
      'with build: false, give the tag or digest to deploy, e.g. ghcr.io/acme/web:1.4.2',
      source,
    );
  }
  return image;
}

function resolveRegistry(
  image: ImageName,
  username: string,
  password: string,
  token: string,
  context: RunContext,
) {
  if (image.registry === 'ghcr.io') {
    return { server: image.registry, username: username || context.actor, password: password || token };
  }
  return { server: image.registry, username, password };
}

function defaultAppName(repository: string): string {
  const name = repository.split('/').pop() ?? '';
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

function defaultImage(repository: string): string {
  return repository ? `ghcr.io/${repository.toLowerCase()}` : '';
}

/** A path the workflow reads from the checkout: relative, and never leaving the workspace. */
export function workspacePath(path: string, source: Source): string {
  const parts = path.split(/[\\/]+/);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || parts.includes('..')) {
    throw new ConfigError(`"${path}" must be a path inside the workspace (relative, without ..)`, source);
  }
  return path;
}

function absolutePath(path: string, source: Source): string {
  if (!path.startsWith('/')) throw new ConfigError(`"${path}" must be an absolute path`, source);
  return path.replace(/\/+$/, '') || '/';
}

function listenAddress(text: string, source: Source): string {
  if (!/^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|\*):)?\d{1,5}$/i.test(text)) {
    throw new ConfigError(`"${text}" is not an nginx listen address; expected PORT or ADDRESS:PORT`, source);
  }
  const port = Number(text.slice(text.lastIndexOf(':') + 1));
  if (port < 1 || port > 65535) throw new ConfigError(`"${text}": the port must be 1..65535`, source);
  return text;
}

function checkPath(path: string, source: Source): string {
  if (path && !/^\/[\x21-\x7e]*$/.test(path)) {
    const why = 'must start with / and have no spaces or non-ASCII characters (percent-encode them)';
    throw new ConfigError(`"${path}" ${why}`, source);
  }
  return path;
}

function timing(text: string, source: Source): Timing {
  if (text === 'fast' || text === 'dokku') return text;
  throw new ConfigError(`"${text}" is not a checks timing; expected fast or dokku`, source);
}

function environmentName(text: string, source: Source): string {
  if (!text || text.length > 255 || /[\r\n]/.test(text)) {
    throw new ConfigError(`"${text}" is not a GitHub environment name`, source);
  }
  return text;
}
