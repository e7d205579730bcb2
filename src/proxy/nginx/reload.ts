import type { Shell } from '../../host/ssh';
import type { Route } from '../../model/route';
import type { Drained, Proxy, ProxySettings, RouteState, StagedRoute, TrafficReport } from '../types';
import { renderSite, siteRelease, siteUpstreams } from './site';
import { SiteFiles } from './site-files';

interface ReloadStaged extends StagedRoute {
  /** The live file it replaces; undefined when there was none. */
  previous: string | undefined;
}

/**
 * nginx, file and reload: the app's site names the container's port, and every hand-over rewrites it
 * and reloads nginx (`nginx-handover: reload`). For hosts where the reload-free scheme cannot run; a
 * reload can drop requests on idle keep-alive connections (nginx before 1.27.4).
 */
export class NginxReload implements Proxy {
  readonly name = 'nginx (reload)';
  private readonly files: SiteFiles;

  constructor(shell: Shell, settings: ProxySettings) {
    this.files = new SiteFiles(shell, settings);
  }

  async stage(route: Route): Promise<ReloadStaged> {
    const previous = await this.files.read(route.app);
    await this.files.stage(route.app, renderSite(route));
    return { route, previous };
  }

  commit(staged: StagedRoute): Promise<void> {
    return this.files.commit(staged.route.app, (staged as ReloadStaged).previous);
  }

  revert(staged: StagedRoute): Promise<void> {
    return this.files.revert(staged.route.app, (staged as ReloadStaged).previous);
  }

  async discard(app: string): Promise<void> {
    await this.files.discard(app);
  }

  remove(app: string): Promise<void> {
    return this.files.remove(app);
  }

  async describe(app: string): Promise<RouteState> {
    const where = this.files.file(app);
    const text = await this.files.read(app);
    if (text === undefined) return { where, live: false, upstreams: [] };
    return { where, live: true, release: siteRelease(text), upstreams: siteUpstreams(text) };
  }

  refresh(): Promise<void> {
    return this.files.refresh();
  }

  claimedBy(domain: string, app: string): Promise<string | undefined> {
    return this.files.claimedBy(domain, app);
  }

  async drain(): Promise<Drained | undefined> {
    return undefined;
  }

  async traffic(): Promise<TrafficReport | undefined> {
    return undefined;
  }

  async watchOnHost(): Promise<boolean> {
    return false;
  }

  async stopHostWatch(): Promise<string | undefined> {
    return undefined;
  }
}
