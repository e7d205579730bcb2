import type { Route } from '../model/route';

/** A route written beside the live config, not serving yet; the driver keeps what it replaces. */
export interface StagedRoute {
  readonly route: Route;
}

/** What the proxy serves for an app now, as read back from its config. */
export interface RouteState {
  /** Where the proxy keeps the app's route (a file), for messages. */
  where: string;
  live: boolean;
  /** The release the live route names; undefined for a config Baton did not write. */
  release?: string;
  /** Where it sends requests, as written (e.g. 127.0.0.1:49153). */
  upstreams: string[];
}

/**
 * The reverse proxy on a host, as a deploy speaks to it: stage a route while checks run, commit it (the
 * hand-over), revert it if another host failed, remove it, describe it. A driver (today nginx) owns its
 * config files, how it tests and reloads them, and how it reads them back.
 */
export interface Proxy {
  /** For the log: nginx. */
  readonly name: string;
  stage(route: Route): Promise<StagedRoute>;
  /** Makes a staged route live; if the proxy refuses it, what was live is put back and this throws. */
  commit(staged: StagedRoute): Promise<void>;
  /** Puts back what was live before commit, so that every host serves the same release. */
  revert(staged: StagedRoute): Promise<void>;
  /** Drops the app's staged route that never went live (nothing when there is none). */
  discard(app: string): Promise<void>;
  /** Stops serving the app; the proxy goes on serving the others. If it refuses, the route is kept. */
  remove(app: string): Promise<void>;
  describe(app: string): Promise<RouteState>;
  /** Makes what is written what serves (after a run that died between a write and a reload). */
  refresh(): Promise<void>;
  /** Where another app's route already serves `domain` (e.g. its file), if one does. */
  claimedBy(domain: string, app: string): Promise<string | undefined>;
  /**
   * After a hand-over: lets the requests still in flight to releases that no longer take traffic finish
   * (at most `boundSeconds`), closes what is still open then, and reports the releases it drained: their
   * containers stop at once, any other after retire-after. undefined when the driver cannot drain.
   */
  drain(app: string, boundSeconds: number): Promise<Drained | undefined>;
  /**
   * Requests per release since `since` (default: this driver's last hand-over of the app), and the mark to
   * read on from; undefined when the driver keeps no per-release figures.
   */
  traffic(app: string, since?: TrafficMark): Promise<TrafficReport | undefined>;
  /**
   * Starts a watch of the app's new release on the host that outlives the runner and rolls back by
   * itself; false when the driver cannot (then the runner watches).
   */
  watchOnHost(app: string, watch: HostWatch): Promise<boolean>;
  /** Stops the app's watch on the host if one runs; returns how it ended or "stopped", if it ran. */
  stopHostWatch(app: string, files: HostWatchFiles): Promise<string | undefined>;
}

/**
 * A canary's cooldown handed to the host (canary-cooldown-watch: host): what to watch, how to judge it,
 * and what to write when it rolls back (the current-release file, the new release's record).
 */
export interface HostWatch {
  fresh: { release: string; container: string };
  /** The release to fall back to, and its containers to stop once the watch passes. */
  old: { release: string; containers: string[] };
  seconds: number;
  checkSeconds: number;
  failureLimit: number;
  minRequests: number;
  /** 0.01 = 1%. */
  maxErrorRate: number;
  maxP99Ms: number;
  /** Bound of the drain of the release that stops taking traffic. */
  drainSeconds: number;
  currentFile: string;
  recordFile: string;
  /** The new release's record as JSON with outcome "rolled back" and error "@REASON@". */
  rolledBackRecord: string;
  /** Where the watch writes how it ended ("passed at …", "rolled back at …: why"). */
  resultFile: string;
  /**
   * On a rollback, POST `body` (JSON, "@DESCRIPTION@" replaced) to `url` with curl, the Authorization
   * header read from `headerFile` (mode 600, removed when the watch ends); none when absent.
   */
  github?: { url: string; body: string; headerFile: string };
}

/** A host watch's files outside the proxy's own: how it ended, and its GitHub header (both removed). */
export interface HostWatchFiles {
  result: string;
  githubHeader: string;
}

/** What a drain did: per release that stopped taking traffic. */
export interface Drained {
  releases: { release: string; ms: number; closed: number }[];
}

/** A place in the proxy's traffic record to read on from. */
export interface TrafficMark {
  offset: number;
  /** When the mark was taken (ms since the epoch). */
  at: number;
}

export interface ReleaseTraffic {
  release: string;
  requests: number;
  /** Responses with status 5xx, the proxy's own (it could not reach the release) included. */
  errors: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  firstAt: number;
  lastAt: number;
}

export interface TrafficReport {
  releases: ReleaseTraffic[];
  /** Where the next read starts. */
  mark: TrafficMark;
}

/** What the proxy drivers are configured with (the nginx-* settings today). */
export interface ProxySettings {
  confDir: string;
  /** Where the reload-free scheme keeps its links and forwarders (one dir per app). */
  runDir: string;
  /** Where nginx writes the per-app traffic logs. */
  logDir: string;
  testCommand: string[];
  reloadCommand: string[];
}
