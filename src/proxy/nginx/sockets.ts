import { BatonError, lastLines } from '../../errors';
import type { Shell } from '../../host/ssh';
import type { Route } from '../../model/route';
import type {
  Drained,
  HostWatch,
  HostWatchFiles,
  Proxy,
  ProxySettings,
  RouteState,
  StagedRoute,
  TrafficMark,
  TrafficReport,
} from '../types';
import { stopWatchCommand, watchCommand } from './cooldown-watch';
import { type Forwarder, forwarderName, parseForwarderName, renderForwarder } from './forwarder';
import { siteRelease, siteUpstreams } from './site';
import { SiteFiles } from './site-files';
import * as sockets from './socket-commands';
import { appRunDir, BUCKETS, isSocketSite, renderSocketSite, trafficLog } from './socket-site';
import { tallyTraffic } from './traffic';

/** Where the buckets point: `primary` and `secondary` name forwarder dirs; the first K buckets go to secondary. */
export interface Links {
  primary?: string;
  secondary?: string;
  secondaryBuckets: number;
}

export interface SocketState extends Links {
  forwarders: string[];
  site: string | undefined;
}

interface SocketsStaged extends StagedRoute {
  previousSite: string | undefined;
  siteChanged: boolean;
  before: Links;
  after: Links;
}

/**
 * nginx without a reload at hand-over (`nginx-handover: sockets`, the default). The app's site is written
 * once; it hashes clients into 20 buckets, each a link in the run dir to `primary` or `secondary`, which
 * point at a release's forwarder socket (forwarder.ts). A hand-over moves links with rename(2); nginx
 * follows them at its next connect(). A weight is a number of buckets on `secondary`, in 5% steps.
 */
export class NginxSockets implements Proxy {
  readonly name = 'nginx (reload-free)';
  private readonly files: SiteFiles;
  /** The traffic log's mark at each app's last hand-over by this driver. */
  private readonly switched = new Map<string, TrafficMark>();

  constructor(
    private readonly shell: Shell,
    private readonly settings: ProxySettings,
  ) {
    this.files = new SiteFiles(shell, settings);
  }

  async stage(route: Route): Promise<SocketsStaged> {
    const state = await this.state(route.app);
    const site = renderSocketSite(route, this.settings);
    const siteChanged = state.site !== site;
    if (siteChanged) await this.files.stage(route.app, site);
    const { links, forwarders } = plannedLinks(route);
    await Promise.all(forwarders.map((forwarder) => this.start(route.app, forwarder)));
    return { route, previousSite: state.site, siteChanged, before: state, after: links };
  }

  async commit(staged: StagedRoute): Promise<void> {
    const { route, siteChanged, previousSite, before, after } = staged as SocketsStaged;
    const mark = await this.link(route.app, after);
    if (siteChanged) {
      await this.files.commit(route.app, previousSite).catch(async (error: unknown) => {
        if (before.primary) await this.link(route.app, before).catch(() => undefined);
        throw error;
      });
    }
    this.switched.set(route.app, mark);
  }

  async revert(staged: StagedRoute): Promise<void> {
    const { route, siteChanged, previousSite, before } = staged as SocketsStaged;
    if (before.primary) await this.link(route.app, before);
    if (siteChanged) await this.files.revert(route.app, previousSite);
  }

  /** Also sends the buckets a canary had on `secondary` back to `primary` (a run that died mid-canary). */
  async discard(app: string): Promise<void> {
    const state = await this.state(app);
    if (state.primary && state.secondary)
      await this.link(app, { primary: state.primary, secondaryBuckets: 0 });
    await this.files.discard(app);
    await this.shell.run(sockets.discardForwarders(this.dir(app), 'unlinked'), { allowFailure: true });
  }

  async remove(app: string): Promise<void> {
    await this.files.remove(app);
    await this.shell.run(sockets.discardForwarders(this.dir(app), 'all'), { allowFailure: true });
  }

  async describe(app: string): Promise<RouteState> {
    const state = await this.state(app);
    const where = this.files.file(app);
    if (state.site === undefined) return { where, live: false, upstreams: [] };
    if (!isSocketSite(state.site))
      return { where, live: true, release: siteRelease(state.site), upstreams: siteUpstreams(state.site) };
    const live = [state.primary, state.secondary].flatMap((name) => {
      const forwarder = name ? parseForwarderName(name) : undefined;
      return forwarder ? [forwarder] : [];
    });
    return {
      where,
      live: true,
      release: live[0]?.release,
      upstreams: live.map(({ port }) => `127.0.0.1:${port}`),
    };
  }

  refresh(): Promise<void> {
    return this.files.refresh();
  }

  claimedBy(domain: string, app: string): Promise<string | undefined> {
    return this.files.claimedBy(domain, app);
  }

  /** Drains every forwarder no link points at; a release without one (e.g. before a migration) is not in it. */
  async drain(app: string, boundSeconds: number): Promise<Drained> {
    const result = await this.shell.run(sockets.drainForwarders(this.dir(app), boundSeconds));
    return { releases: parseDrained(result.stdout) };
  }

  async traffic(app: string, since?: TrafficMark): Promise<TrafficReport> {
    const from = since ?? this.switched.get(app) ?? { offset: 0, at: 0 };
    const log = trafficLog(this.settings.logDir, app);
    const result = await this.shell.run(sockets.readTraffic(log, from.offset, this.dir(app)));
    return tallyTraffic(result.stdout);
  }

  async watchOnHost(app: string, watch: HostWatch): Promise<boolean> {
    const state = await this.state(app);
    const fresh = state.primary;
    const old = state.forwarders.find((name) => parseForwarderName(name)?.release === watch.old.release);
    if (!fresh || !old || state.secondary) return false;
    const log = trafficLog(this.settings.logDir, app);
    const offset = this.switched.get(app)?.offset ?? 0;
    const argv = watchCommand({
      watch,
      dir: this.dir(app),
      log,
      offset,
      freshForwarder: fresh,
      oldForwarder: old,
    });
    await this.shell.run(argv);
    return true;
  }

  async stopHostWatch(app: string, files: HostWatchFiles): Promise<string | undefined> {
    const argv = stopWatchCommand(this.dir(app), files.result, files.githubHeader);
    const result = await this.shell.run(argv, { allowFailure: true });
    return result.stdout.trim() || undefined;
  }

  private dir(app: string): string {
    return appRunDir(this.settings.runDir, app);
  }

  private async state(app: string): Promise<SocketState> {
    const result = await this.shell.run(sockets.readState(this.dir(app), this.files.file(app)));
    return parseState(result.stdout);
  }

  private async start(app: string, forwarder: Forwarder): Promise<void> {
    const dir = `${this.dir(app)}/${forwarderName(forwarder)}`;
    const result = await this.shell.run(sockets.startForwarder(dir), {
      stdin: renderForwarder(forwarder, dir),
      allowFailure: true,
    });
    if (result.code !== 0)
      throw new BatonError(
        `could not start the forwarder of release ${forwarder.release} (nginx -c ${dir}/nginx.conf):\n${lastLines(result)}`,
      );
  }

  /** Moves the links; returns the traffic log's mark at the move. */
  private async link(app: string, links: Links): Promise<TrafficMark> {
    const { primary, secondary, secondaryBuckets } = links;
    if (!primary) throw new BatonError(`no release to route ${app} to`);
    const log = trafficLog(this.settings.logDir, app);
    const argv = sockets.switchLinks(
      this.dir(app),
      `${primary}/sock`,
      secondary && `${secondary}/sock`,
      secondaryBuckets,
      log,
    );
    const result = await this.shell.run(argv, { allowFailure: true });
    const moved = /^switched (\d+)$/m.exec(result.stdout);
    if (result.code !== 0 || !moved)
      throw new BatonError(`could not move the links in ${this.dir(app)}:\n${lastLines(result)}`);
    return { offset: Number(moved[1]), at: Date.now() };
  }
}

/** The links a route asks for: one upstream is primary; of two, the route's own release is secondary. */
export function plannedLinks(route: Route): { links: Links; forwarders: Forwarder[] } {
  const forwarders = route.upstreams.map((upstream) => ({
    release: upstream.release ?? route.release,
    port: upstream.port,
  }));
  const [first, second] = route.upstreams;
  if (route.upstreams.length === 1 && first)
    return { links: { primary: forwarderName(forwarders[0] as Forwarder), secondaryBuckets: 0 }, forwarders };
  if (route.upstreams.length !== 2 || !first || !second)
    throw new BatonError(
      `nginx (reload-free) splits traffic between 1 or 2 releases, not ${route.upstreams.length}`,
    );
  const newIndex = (first.release ?? route.release) === route.release ? 0 : 1;
  const fresh = route.upstreams[newIndex] as typeof first;
  const stable = forwarders[1 - newIndex] as Forwarder;
  return {
    links: {
      primary: forwarderName(stable),
      secondary: forwarderName(forwarders[newIndex] as Forwarder),
      secondaryBuckets: secondaryBuckets(fresh.weight, first.weight + second.weight),
    },
    forwarders,
  };
}

/** Buckets (of 20, 5% each) for a share `weight / total`, rounded to the nearest step. */
export function secondaryBuckets(weight: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(BUCKETS, Math.max(0, Math.round((weight / total) * BUCKETS)));
}

export function parseState(output: string): SocketState {
  const [head = '', ...site] = output.split('\n---site---\n');
  const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(head)?.[1]?.trim() || undefined;
  const forwarder = (target: string | undefined) => target?.replace(/\/sock$/, '');
  return {
    primary: forwarder(value('primary')),
    secondary: forwarder(value('secondary')),
    secondaryBuckets: Number(value('secondary-buckets') ?? 0),
    forwarders: [...head.matchAll(/^forwarder (\S+)$/gm)].map((match) => match[1] as string),
    site:
      site.length && output.includes('\n---site---\n') ? site.join('\n---site---\n') || undefined : undefined,
  };
}

/** DRAIN's lines: baton-drained f-RELEASE-PORT MS OPEN. */
export function parseDrained(output: string): Drained['releases'] {
  return [...output.matchAll(/^baton-drained (\S+) (\d+) (\d+)$/gm)].map((match) => ({
    release: parseForwarderName(match[1] as string)?.release ?? (match[1] as string),
    ms: Number(match[2]),
    closed: Number(match[3]),
  }));
}
