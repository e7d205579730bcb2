import { BatonError, lastLines } from '../../errors';
import type { Shell } from '../../host/ssh';
import type { ProxySettings } from '../types';
import * as nginx from './commands';
import { serverNames, siteFile } from './site';

/**
 * The app's site file in nginx's conf dir, as both nginx drivers handle it: staged as FILE.next (which
 * nginx does not include), moved in with a test and a graceful reload, put back when nginx refuses it.
 */
export class SiteFiles {
  constructor(
    private readonly shell: Shell,
    private readonly settings: ProxySettings,
  ) {}

  file(app: string): string {
    return siteFile(this.settings.confDir, app);
  }

  next(app: string): string {
    return `${this.file(app)}.next`;
  }

  read(app: string): Promise<string | undefined> {
    return this.shell.readFile(this.file(app));
  }

  stage(app: string, text: string): Promise<void> {
    return this.shell.writeFile(this.next(app), text, '644');
  }

  discard(app: string): Promise<unknown> {
    return this.shell.run(['rm', '-f', this.next(app)], { allowFailure: true });
  }

  /** Moves the staged file in, tests, reloads; on failure puts `previous` back and throws. */
  async commit(app: string, previous: string | undefined): Promise<void> {
    const { testCommand, reloadCommand } = this.settings;
    const argv = nginx.swap(this.next(app), this.file(app), testCommand, reloadCommand);
    const result = await this.shell.run(argv, { allowFailure: true });
    if (result.code === 0) return;
    if (result.code !== nginx.NO_MOVE) await this.restore(app, previous);
    const what =
      result.code === nginx.REJECTED
        ? 'nginx rejected the new configuration'
        : result.code === nginx.NO_RELOAD
          ? 'the nginx reload failed'
          : 'could not put the new site file in place';
    throw new BatonError(`${what} (${this.file(app)}), previous file restored:\n${lastLines(result)}`);
  }

  /** Writes `previous` back (removes the file when there was none) and reloads. */
  async revert(app: string, previous: string | undefined): Promise<void> {
    await this.restore(app, previous);
    await this.shell.run(this.settings.reloadCommand);
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

  async refresh(): Promise<void> {
    const test = await this.shell.run(this.settings.testCommand, { allowFailure: true });
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

  private async restore(app: string, previous: string | undefined): Promise<void> {
    if (previous === undefined) await this.shell.run(['rm', '-f', this.file(app)]);
    else await this.shell.writeFile(this.file(app), previous, '644');
  }
}
