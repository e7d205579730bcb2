import { appUrl, type Config, type HostSpec } from '../config';
import type { RunContext } from '../config/context';
import { imageReference } from '../config/image';
import type { ContainerSpec } from '../model/container';
import { releaseId } from '../model/release';
import type { Route } from '../model/route';
import { envFile as envFilePath } from '../host/state';
import { type AppPlace, placeOf } from './place';
import { planTraffic, type TrafficPlan } from './traffic';

/** Everything a deploy will do, decided before any host is touched. Pure: config + run facts in, plan out. */
export interface DeployPlan extends AppPlace {
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
  /** The hosts' docker config for the pull's login, removed after the pull. */
  dockerConfigDir: string;
  container: ContainerSpec;
  /** Secrets as an env file (mode 600) on the host; absent when there are none. */
  envFile?: { path: string; content: string };
  checks: Config['checks'];
  /** The route the proxy gets at the hand-over, but for where it sends requests (see traffic/). */
  route: Omit<Route, 'upstreams'>;
  /** How traffic moves once the checks pass: in canary steps, or all at once. */
  traffic: TrafficPlan;
  retireAfterSeconds: number;
  keepReleases: number;
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
  const place = placeOf(config, context);
  const { appDir } = place;
  const envFile = Object.keys(config.secrets).length
    ? { path: envFilePath(appDir, release), content: envFileText(config.secrets) }
    : undefined;
  const labels = {
    'baton.app': config.app,
    'baton.release': release,
    'baton.commit': context.sha,
    'baton.ref': context.ref,
    'baton.actor': context.actor,
    'baton.run-url': place.runUrl,
    ...(config.preview
      ? { 'baton.preview-of': config.preview.base, 'baton.pr': String(config.preview.number) }
      : {}),
  };
  return {
    ...place,
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
    route: {
      app: config.app,
      release,
      domain: config.domain,
      listen: config.proxy.listen,
      ...(config.proxy.tls ? { tls: config.proxy.tls } : {}),
      ...(config.proxy.acmeWebroot ? { acmeWebroot: config.proxy.acmeWebroot } : {}),
    },
    traffic: planTraffic(config),
    retireAfterSeconds: config.retireAfterSeconds,
    keepReleases: config.keepReleases,
    run: {
      commit: context.sha,
      ref: context.ref,
      actor: context.actor,
      url: place.runUrl,
      startedAt: now.toISOString(),
    },
    url: appUrl(config),
  };
}

function envFileText(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}
