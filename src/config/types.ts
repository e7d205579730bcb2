import type { ProxySettings } from '../proxy/types';
import type { ResolvedChecks } from '../checks/resolve';
import type { Timing } from '../checks/model';
import type { Source } from '../errors';
import type { Thresholds } from '../model/thresholds';
import type { HostSpec } from '../model/host';
import type { RouteTls } from '../model/route';
import type { RunContext } from './context';
import type { EventInfo } from './event';
import type { ImageName } from './image';
import type { Resources } from './resources';

export const COMMANDS = ['deploy', 'rollback', 'destroy', 'plan', 'status', 'prune-previews'] as const;

export type Command = (typeof COMMANDS)[number];

export interface Config {
  command: Command;
  /** rollback: the release to go back to ('' = the previous successful one). */
  rollbackTo: string;
  /** destroy: the app name typed to confirm. */
  confirm: string;
  app: string;
  /** GitHub environment the deploy is reported to. */
  environment: string;
  image: ImageName;
  build: {
    enabled: boolean;
    context: string;
    dockerfile: string;
    args: Record<string, string>;
    /** docker build --target ('' = the last stage). */
    target: string;
    /** buildx --cache-from / --cache-to entries, as docker/build-push-action spells them. */
    cacheFrom: string[];
    cacheTo: string[];
    /** Build secrets (RUN --mount=type=secret,id=NAME): never given to the running app. */
    secrets: Record<string, string>;
  };
  registry: { server: string; username: string; password: string };
  /** For GitHub's API (deployments, comments, pull requests); '' reports nothing. */
  githubToken: string;
  hosts: HostSpec[];
  ssh: { privateKey: string; passphrase: string; knownHosts: string; trustFirstUse: boolean };
  appPort: number;
  domain: string;
  env: Record<string, string>;
  secrets: Record<string, string>;
  readiness: { path: string; timeoutSeconds: number };
  checks: ResolvedChecks & { timing: Timing };
  retireAfterSeconds: number;
  /** How traffic moves in steps after the checks (skip-canary, canary-*). */
  canary: CanarySettings;
  proxy: ProxySettings & {
    listen: string;
    handover: 'sockets' | 'reload';
    /** HTTPS: certificate and key paths on the hosts, and the address HTTPS listens on. */
    tls?: RouteTls;
    /** Directory on the hosts served at /.well-known/acme-challenge/ (certbot --webroot). */
    acmeWebroot?: string;
  };
  stateDir: string;
  keepReleases: number;
  lockTimeoutSeconds: number;
  resources: Resources;
  previews: PreviewSettings;
  /** Problems that do not stop the run, each naming its input; logged as warnings. */
  warnings: string[];
  /** Set when this run deploys or removes a pull request's preview (app, domain etc. are the preview's). */
  preview?: PreviewTarget;
}

export interface ConfigSources {
  /** Reads an action input; '' when not given (as core.getInput does). */
  getInput(name: string): string;
  /** Reads a file relative to the workspace, or undefined when it does not exist. */
  readFile(path: string): string | undefined;
  context: RunContext;
  /** The event that started the workflow; previews are decided from it. */
  event?: EventInfo;
}

/** The canary settings (canary-*, skip-canary): how traffic moves in steps and what a step must show. */
export interface CanarySettings {
  /** skip-canary: auto (the canary, but previews skip it), or the user's yes/no. */
  skip: 'auto' | 'true' | 'false';
  skipSource: Source;
  /** Percentages of traffic on the new release, rising, ending at 100. */
  steps: number[];
  stepSeconds: number;
  checkSeconds: number;
  /** Failing checks in a row that roll the release back. */
  failureLimit: number;
  /** A step that ends without enough requests for a verdict: promote (with a warning) or fail. */
  onQuiet: 'promote' | 'fail';
  thresholds: Thresholds;
  /** Seconds the release is watched at 100% before the old one retires; 0 = none. */
  cooldownSeconds: number;
  /** Who watches the cooldown: the runner, or a process on each host that outlives the job. */
  cooldownWatch: 'runner' | 'host';
  /** For a host's watch: the token it sets the GitHub deployment's status with ('' = none). */
  cooldownToken: string;
}

/** How pull requests get previews: the preview-* settings. */
export interface PreviewSettings {
  mode: 'auto' | 'true' | 'false';
  /** Host name template, e.g. pr-{number}.preview.example.com; '' when previews are not set up. */
  domain: string;
  domainSource: Source;
  hosts: HostSpec[];
  env: Record<string, string>;
  secrets: Record<string, string>;
  secretsSource: Source;
  inheritSecrets: boolean;
  allowForks: boolean;
  allowForksSource: Source;
  /** Most live previews of the app per host; 0 means no limit. */
  max: number;
  resources: { memory: string; cpus: string };
}

/** One pull request's preview: its own app, host name and GitHub environment. */
export interface PreviewTarget {
  number: number;
  /** The production app it previews. */
  base: string;
  app: string;
  /** '' when not known (previews found on hosts by prune-previews). */
  domain: string;
  /** The PR was closed: remove the preview. */
  remove: boolean;
}
