import { BatonError, type CommandResult, lastLines } from '../../errors';
import type { Shell } from '../../host/ssh';
import type { Route } from '../../model/route';
import type { Proxy, ProxySettings, RouteState, StagedRoute } from '../types';
import * as nginx from './commands';
import { renderSite, serverNames, siteFile, siteRelease, siteUpstreams } from './site';

interface NginxStaged extends StagedRoute {
  /** The live file it replaces; undefined when there was none. */
  previous: string | undefined;
}

/**
 * nginx on the host: one server file per app in the conf dir. A route is staged as FILE.next (not
 * included by nginx), and committed in one round trip: move in, `nginx -t`, graceful reload.
 */
export class Nginx implements Proxy {
  readonly name = 'nginx';

  constructor(
    private readonly shell: Shell,
    private readonly settings: ProxySettings,
  ) {}

  async stage(route: Route): Promise<NginxStaged> {
    const previous = await this.shell.readFile(this.file(route.app));
    await this.shell.writeFile(this.next(route.app), renderSite(route), '644');
    return { route, previous };
  }

  async commit(staged: StagedRoute): Promise<void> {
    const { app } = staged.route;
    const { testCommand, reloadCommand } = this.settings;
    const argv = nginx.swap(this.next(app), this.file(app), testCommand, reloadCommand);
    const result = await this.shell.run(argv, { allowFailure: true });
    if (result.code === 0) return;
    if (result.code !== nginx.NO_MOVE) await this.restore(app, (staged as NginxStaged).previous);
    const what =
      result.code === nginx.REJECTED
        ? 'nginx rejected the new configuration'
        : result.code === nginx.NO_RELOAD
          ? 'the nginx reload failed'
          : 'could not put the new site file in place';
    throw new BatonError(`${what} (${this.file(app)}), previous file restored:\n${lastLines(result)}`);
  }

  async revert(staged: StagedRoute): Promise<void> {
    await this.restore(staged.route.app, (staged as NginxStaged).previous);
    await this.shell.run(this.settings.reloadCommand);
  }

  async discard(app: string): Promise<void> {
    await this.shell.run(['rm', '-f', this.next(app)], { allowFailure: true });
  }

  async remove(app: string): Promise<void> {
    const { testCommand, reloadCommand } = this.settings;
    const result = await this.shell.run(nginx.unpublish(this.file(app), testCommand, reloadCommand), {
      allowFailure: true,
    });
    if (result.code === 0) return;
    throw new BatonError(
      `could not remove ${this.file(app)} from nginx (exit ${result.code}), file kept:\n${lastLines(result)}`,
    );
  }

  async describe(app: string): Promise<RouteState> {
    const where = this.file(app);
    const text = await this.shell.readFile(where);
    if (text === undefined) return { where, live: false, upstreams: [] };
    return { where, live: true, release: siteRelease(text), upstreams: siteUpstreams(text) };
  }

  async refresh(): Promise<void> {
    const test: CommandResult = await this.shell.run(this.settings.testCommand, { allowFailure: true });
    if (test.code !== 0)
      throw new BatonError(`nginx on ${this.shell.label} rejects its configuration: ${test.stderr.trim()}`);
    await this.shell.run(this.settings.reloadCommand, { allowFailure: true });
  }

  async claimedBy(domain: string, app: string): Promise<string | undefined> {
    const own = this.file(app).split('/').pop() as string;
    const result = await this.shell.run(nginx.serverNameLines(this.settings.confDir, own), {
      allowFailure: true,
    });
    return serverNames(result.stdout).find(({ names }) => names.includes(domain))?.file;
  }

  private file(app: string): string {
    return siteFile(this.settings.confDir, app);
  }

  private next(app: string): string {
    return `${this.file(app)}.next`;
  }

  private async restore(app: string, previous: string | undefined): Promise<void> {
    if (previous === undefined) await this.shell.run(['rm', '-f', this.file(app)]);
    else await this.shell.writeFile(this.file(app), previous, '644');
  }
}
