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
}

/** What the proxy drivers are configured with (the nginx-* settings today). */
export interface ProxySettings {
  confDir: string;
  testCommand: string[];
  reloadCommand: string[];
}
