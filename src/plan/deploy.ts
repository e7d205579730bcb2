import type { ContainerSpec } from '../commands/docker';
import type { Config, HostSpec } from '../config';
import { type RunContext, runUrl } from '../config/context';
import { imageReference } from '../config/image';
import { renderSite, siteFile } from '../proxy/nginx';

/** Everything a deploy will do, decided before any host is touched. Pure: config + run facts in, plan out. */
export interface DeployPlan {
  app: string;
  release: string;
  /** The image reference hosts pull and run (tagged with the commit when Baton builds it). */
  image: string;
  build?: {
    context: string;
    dockerfile: string;
    args: Record<string, string>;
    labels: Record<string, string>;
    /** '' builds the last stage. */
    target: string;
    cacheFrom: string[];
    cacheTo: string[];
    /** Build secrets (RUN --mount=type=secret,id=NAME); never part of the image or the app's env. */
    secrets: Record<string, string>;
  };
  registry: { server: string; username: string; password: string } | undefined;
  hosts: HostSpec[];
  appDir: string;
  /** The hosts' docker config for the pull's login, removed after the pull. */
  dockerConfigDir: string;
  container: ContainerSpec;
  /** Secrets as an env file (mode 600) on the host; absent when there are none. */
  envFile?: { path: string; content: string };
  checks: Config['checks'];
  proxy: {
    file: string;
    content(upstreamPort: number): string;
    testCommand: string[];
    reloadCommand: string[];
  };
  retireAfterSeconds: number;
  keepReleases: number;
  lockTimeoutSeconds: number;
  url: string;
  /** Who and what asked for this release, for its record on the hosts. */
  run: { commit: string; ref: string; actor: string; url: string; startedAt: string };
}

/** `attempt` > 1 gives the release id a suffix: see releaseId. */
export function planDeploy(config: Config, context: RunContext, now: Date, attempt = 1): DeployPlan {
  const release = releaseId(now, context.sha, attempt);
  const image = config.build.enabled
    ? imageReference({ ...config.image, tag: context.sha || release })
    : imageReference(config.image);
  const appDir = `${config.stateDir}/${config.app}`;
  const envFile = Object.keys(config.secrets).length
    ? { path: `${appDir}/${release}.env`, content: envFileText(config.secrets) }
    : undefined;
  const labels = {
    'baton.app': config.app,
    'baton.release': release,
    'baton.commit': context.sha,
    'baton.ref': context.ref,
    'baton.actor': context.actor,
    'baton.run-url': runUrl(context),
    ...(config.preview
      ? { 'baton.preview-of': config.preview.base, 'baton.pr': String(config.preview.number) }
      : {}),
  };
  return {
    app: config.app,
    release,
    image,
    build: config.build.enabled
      ? {
          context: config.build.context,
          dockerfile: config.build.dockerfile,
          args: config.build.args,
          labels: {
            'org.opencontainers.image.revision': context.sha,
            'org.opencontainers.image.source': `${context.serverUrl}/${context.repository}`,
          },
          target: config.build.target,
          cacheFrom: config.build.cacheFrom,
          cacheTo: config.build.cacheTo,
          secrets: config.build.secrets,
        }
      : undefined,
    registry: config.registry.username && config.registry.password ? config.registry : undefined,
    hosts: config.hosts,
    appDir,
    dockerConfigDir: `${appDir}/docker-config-${release}`,
    container: {
      name: `${config.app}-${release}`,
      image,
      appPort: config.appPort,
      labels,
      env: { ...('PORT' in config.secrets ? {} : { PORT: String(config.appPort) }), ...config.env },
      envFile: envFile?.path,
      memory: config.resources.memory,
      cpus: config.resources.cpus,
    },
    envFile,
    checks: config.checks,
    proxy: {
      file: siteFile(config.proxy.confDir, config.app),
      content: (upstreamPort) =>
        renderSite({
          app: config.app,
          release,
          domain: config.domain,
          listen: config.proxy.listen,
          upstreamPort,
        }),
      testCommand: config.proxy.testCommand,
      reloadCommand: config.proxy.reloadCommand,
    },
    retireAfterSeconds: config.retireAfterSeconds,
    keepReleases: config.keepReleases,
    lockTimeoutSeconds: config.lockTimeoutSeconds,
    run: {
      commit: context.sha,
      ref: context.ref,
      actor: context.actor,
      url: runUrl(context),
      startedAt: now.toISOString(),
    },
    url: `http://${config.domain}`,
  };
}

/**
 * Sortable and readable: UTC time to the second, then the short commit. Two deploys of one commit in
 * the same second would share it, so the later one (attempt 2, 3, …) gets `-2`, `-3`, ….
 */
export function releaseId(now: Date, sha: string, attempt = 1): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = sha ? `${stamp}-${sha.slice(0, 7)}` : stamp;
  return attempt > 1 ? `${id}-${attempt}` : id;
}

function envFileText(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}
