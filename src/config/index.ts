import { resolveChecks } from '../checks/resolve';
import { ConfigError, describeSource, type Source } from '../errors';
import type { RunContext } from './context';
import {
  absolutePath,
  checkPath,
  environmentName,
  handover,
  listenAddress,
  nginxPath,
  releaseName,
  timing,
  workspacePath,
} from './formats';
import { parseHost } from './hosts';
import { type ImageName, parseImage } from './image';
import {
  applyPreview,
  checkAppName,
  checkPreviewHost,
  decidePreview,
  isDomain,
  readPreviewSettings,
} from './preview';
import { readCanary } from './canary';
import { readConfigFile, SettingsReader } from './reader';
import { cpuLimit, memoryLimit } from './resources';
import { checkKnownHosts, checkPrivateKey } from './ssh';
import { type Command, COMMANDS, type Config, type ConfigSources, type PreviewSettings } from './types';

export type { HostSpec } from './hosts';
export type { ImageName } from './image';
export type { Command, Config, ConfigSources, PreviewSettings, PreviewTarget } from './types';
export { workspacePath } from './formats';

const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Reads inputs and baton.yml (inputs win), validates every value, and fills in defaults. Pure. The
 * event decides whether this run is a pull request's preview (a fork's is refused before anything
 * else), which changes what is required (hosts, domain) and what the app is.
 */
export function loadConfig(sources: ConfigSources): Config {
  const read = new SettingsReader(sources.getInput, readConfigFile(sources));
  const { context } = sources;
  const command = readCommand(read);
  const app = readAppName(read, context);
  const previews = readPreviewSettings((name) => read.raw(name));
  const event = sources.event ?? { name: '', action: '', sha: context.sha };
  const preview = decidePreview(previews, event, app, read.source('app'));
  const build = read.bool('build');
  const image = resolveImage(
    read.str('image') || defaultImage(context.repository),
    build,
    read.source('image'),
  );
  const buildContext = workspacePath(read.str('context') || '.', read.source('context'));
  const hosts = readHosts(read, preview !== undefined || command === 'prune-previews', previews);
  const ssh = readSsh(read);
  const domain = readDomain(read, !preview && ['deploy', 'rollback', 'plan'].includes(command));
  if (preview) checkPreviewHost(preview, domain, previews);
  const readyPath = checkPath(read.str('ready-path'), read.source('ready-path'));
  const { env, secrets } = readEnv(read);
  const config: Config = {
    // A closed pull request's run removes its preview, whatever command the workflow names.
    command: preview?.remove && command === 'deploy' ? 'destroy' : command,
    environment: environmentName(read.str('environment'), read.source('environment')),
    rollbackTo: releaseName(read.str('release'), read.source('release')),
    confirm: read.str('confirm'),
    app,
    image,
    build: readBuild(read, build, buildContext),
    registry: resolveRegistry(image, read, context),
    githubToken: read.str('github-token'),
    hosts,
    ssh: ssh.ssh,
    appPort: read.int('app-port', 1, 65535),
    domain: domain.toLowerCase(),
    env,
    secrets,
    readiness: { path: readyPath, timeoutSeconds: read.int('ready-timeout', 1, 3600) },
    checks: readChecks(read, sources, buildContext, readyPath),
    retireAfterSeconds: read.int('retire-after', 0, 86400),
    canary: readCanary(read),
    proxy: readProxy(read),
    stateDir: absolutePath(read.str('state-dir'), read.source('state-dir')),
    keepReleases: read.int('keep-releases', 1, 100),
    lockTimeoutSeconds: read.int('lock-timeout', 0, 86_400),
    resources: {
      memory: memoryLimit(read.str('memory'), read.source('memory')),
      cpus: cpuLimit(read.str('cpus'), read.source('cpus')),
    },
    previews,
    warnings: ssh.warnings,
  };
  if (config.canary.skip === 'true' && config.environment === 'production' && !preview)
    config.warnings.push(
      `${describeSource(config.canary.skipSource)}: skip-canary is true for production: traffic moves at once after the checks, without canary steps judged by live traffic`,
    );
  return preview ? applyPreview(config, preview) : config;
}

/** The app's URL: https:// when TLS is set (with the port of tls-listen unless it is 443). */
export function appUrl(config: Pick<Config, 'domain' | 'proxy'>): string {
  const tls = config.proxy.tls;
  if (!tls) return `http://${config.domain}`;
  const port = tls.listen.slice(tls.listen.lastIndexOf(':') + 1);
  return port === '443' ? `https://${config.domain}` : `https://${config.domain}:${port}`;
}

function readCommand(read: SettingsReader): Command {
  const command = read.str('command');
  if ((COMMANDS as readonly string[]).includes(command)) return command as Command;
  throw new ConfigError(
    `unknown command "${command}"; expected one of: ${COMMANDS.join(', ')}`,
    read.source('command'),
  );
}

function readAppName(read: SettingsReader, context: RunContext): string {
  const app = read.str('app') || defaultAppName(context.repository);
  if (!APP_NAME.test(app)) {
    throw new ConfigError(
      `"${app}" is not a valid app name: use a-z, 0-9 and -, at most 63 characters`,
      read.source('app'),
    );
  }
  checkAppName(app, read.source('app'));
  return app;
}

/** The hosts; none is fine only where preview hosts take their place. */
function readHosts(read: SettingsReader, previewRun: boolean, previews: PreviewSettings) {
  const source = read.source('hosts');
  const hosts = read.list('hosts').map((text) => parseHost(text, source));
  if (hosts.length === 0 && !(previewRun && previews.hosts.length > 0))
    throw new ConfigError('at least one host is required (user@host[:port])', source);
  return hosts;
}

function readSsh(read: SettingsReader): { ssh: Config['ssh']; warnings: string[] } {
  const privateKey = read.str('ssh-key');
  if (!privateKey) throw new ConfigError('an SSH private key is required', read.source('ssh-key'));
  const passphrase = read.str('ssh-key-passphrase');
  const knownHosts = read.str('known-hosts');
  const warnings = [
    ...checkPrivateKey(privateKey, read.source('ssh-key'), passphrase, read.source('ssh-key-passphrase')),
    ...checkKnownHosts(knownHosts, read.source('known-hosts')),
  ];
  return {
    ssh: { privateKey, passphrase, knownHosts, trustFirstUse: read.bool('trust-first-use') },
    warnings,
  };
}

function readDomain(read: SettingsReader, required: boolean): string {
  const domain = read.str('domain');
  if (isDomain(domain) || (!required && !domain)) return domain;
  throw new ConfigError(
    domain ? `"${domain}" is not a domain name` : 'a domain is required: nginx routes it to the app',
    read.source('domain'),
  );
}

/** The app's variables and secrets; a name is one or the other. */
function readEnv(read: SettingsReader): Pick<Config, 'env' | 'secrets'> {
  const env = read.keyValues('env');
  const secrets = read.keyValues('secrets', true);
  for (const key of Object.keys(secrets)) {
    if (key in env) throw new ConfigError(`${key} is set in both env and secrets`, read.source('secrets'));
  }
  return { env, secrets };
}

function readBuild(read: SettingsReader, enabled: boolean, context: string): Config['build'] {
  return {
    enabled,
    context,
    dockerfile:
      workspacePath(read.str('dockerfile'), read.source('dockerfile')) ||
      `${context.replace(/\/+$/, '')}/Dockerfile`,
    args: read.keyValues('build-args'),
    target: read.str('target'),
    cacheFrom: read.lines('cache-from'),
    cacheTo: read.lines('cache-to'),
    secrets: read.keyValues('build-secrets', true),
  };
}

/** The checks: the app's CHECKS file or app.json, read here so that their errors come before any host. */
function readChecks(
  read: SettingsReader,
  sources: ConfigSources,
  context: string,
  readyPath: string,
): Config['checks'] {
  const settings = {
    file: workspacePath(read.str('checks'), read.source('checks')),
    fileSource: read.source('checks'),
    healthcheckPath: checkPath(read.str('healthcheck-path'), read.source('healthcheck-path')),
    healthcheckSource: read.source('healthcheck-path'),
    skip: read.bool('skip-checks'),
    context,
    readyPath,
    readyTimeout: read.int('ready-timeout', 1, 3600),
    defaultChecksWait: read.int('default-checks-wait', 0, 3600),
  };
  return {
    ...resolveChecks(settings, sources.readFile),
    timing: timing(read.str('checks-timing'), read.source('checks-timing')),
  };
}

function readProxy(read: SettingsReader): Config['proxy'] {
  const listen = listenAddress(read.str('nginx-listen'), read.source('nginx-listen'));
  const tls = readTls(read, listen);
  const webroot = read.str('acme-webroot');
  return {
    listen,
    confDir: absolutePath(read.str('nginx-conf-dir'), read.source('nginx-conf-dir')),
    handover: handover(read.str('nginx-handover'), read.source('nginx-handover')),
    // Forwarder sockets live 60 characters below it, and a unix socket path has at most 107.
    runDir: nginxPath(read.str('nginx-run-dir'), read.source('nginx-run-dir'), 40),
    logDir: nginxPath(read.str('nginx-log-dir'), read.source('nginx-log-dir')),
    testCommand: read.command('nginx-test-command'),
    reloadCommand: read.command('nginx-reload-command'),
    ...(tls ? { tls } : {}),
    ...(webroot ? { acmeWebroot: nginxPath(webroot, read.source('acme-webroot')) } : {}),
  };
}

/** HTTPS when both the certificate and its key are given; one without the other is a mistake. */
function readTls(read: SettingsReader, httpListen: string): Config['proxy']['tls'] {
  const listen = listenAddress(read.str('tls-listen'), read.source('tls-listen'));
  const certificate = read.str('tls-certificate');
  const key = read.str('tls-certificate-key');
  if (!certificate && !key) return undefined;
  if (!certificate || !key) {
    const [given, missing] = certificate
      ? (['tls-certificate', 'tls-certificate-key'] as const)
      : (['tls-certificate-key', 'tls-certificate'] as const);
    throw new ConfigError(
      `HTTPS needs both tls-certificate and tls-certificate-key: ${given} is set, ${missing} is not`,
      read.source(given),
    );
  }
  if (sameListen(listen, httpListen)) {
    throw new ConfigError(
      `"${listen}" overlaps nginx-listen (${httpListen}): HTTPS needs an address of its own, nginx-listen keeps plain HTTP (ACME challenges and the redirect)`,
      read.source('tls-listen'),
    );
  }
  return {
    certificate: nginxPath(certificate, read.source('tls-certificate')),
    key: nginxPath(key, read.source('tls-certificate-key')),
    listen,
  };
}

/** Whether two nginx listen values share a socket (same port, same address or one of them on all). */
function sameListen(a: string, b: string): boolean {
  const split = (text: string) => {
    const colon = text.lastIndexOf(':');
    return colon < 0 ? ['', text] : [text.slice(0, colon), text.slice(colon + 1)];
  };
  const [addressA, portA] = split(a);
  const [addressB, portB] = split(b);
  const all = (address: string | undefined) => !address || address === '*';
  return portA === portB && (addressA === addressB || all(addressA) || all(addressB));
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

/** Registry credentials for pushes and pulls; on ghcr.io the run's actor and token unless given. */
function resolveRegistry(image: ImageName, read: SettingsReader, context: RunContext): Config['registry'] {
  const username = read.str('registry-username');
  const password = read.str('registry-password');
  const token = read.str('github-token');
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
