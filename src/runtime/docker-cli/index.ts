import { type CommandResult, RemoteCommandError } from '../../errors';
import type { Shell } from '../../host/ssh';
import type {
  ContainerFilter,
  ContainerInfo,
  ContainerSpec,
  ContainerState,
  ContainerUsage,
  Listener,
} from '../../model/container';
import type { ContainerRuntime, PullLogin } from '../types';
import * as docker from './commands';

/** The docker CLI on the host, run over its SSH connection: today's container runtime. */
export class DockerCli implements ContainerRuntime {
  constructor(private readonly shell: Shell) {}

  async pull(image: string, login?: PullLogin): Promise<void> {
    if (!login) {
      await this.shell.run(docker.pull(image));
      return;
    }
    const { configDir: dir, legacyDir, server, username, password } = login;
    await this.shell
      .run(docker.pullWithLogin(dir, legacyDir, server, username, image), { stdin: password })
      .catch((error: unknown) => {
        if (!(error instanceof RemoteCommandError)) throw error;
        // The script is long and says little: name what it ran instead.
        const command = `docker --config ${dir} login --username ${username} ${server}`;
        throw new RemoteCommandError(`${command} && docker --config ${dir} pull ${image}`, error.result);
      });
  }

  async run(spec: ContainerSpec): Promise<void> {
    await this.shell.run(docker.run(spec));
  }

  async start(name: string): Promise<void> {
    await this.shell.run(docker.start(name));
  }

  async stop(name: string): Promise<void> {
    await this.shell.run(docker.stop(name));
  }

  async publishedPort(name: string, appPort: number): Promise<number | undefined> {
    const result = await this.shell.run(docker.port(name, appPort), { allowFailure: true });
    return parsePublishedPort(result.stdout);
  }

  async state(name: string): Promise<ContainerState | undefined> {
    const result = await this.shell.run(docker.state(name), { allowFailure: true });
    return result.code === 0 ? parseState(result.stdout) : undefined;
  }

  async addresses(name: string): Promise<string[]> {
    const result = await this.shell.run(docker.addresses(name));
    return result.stdout.trim().split(/\s+/).filter(Boolean);
  }

  async listeners(name: string): Promise<Listener[]> {
    const pid = (await this.shell.run(docker.pid(name))).stdout.trim();
    const tables = await this.shell.run(docker.socketTables(pid), { allowFailure: true });
    return parseListeners(tables.stdout);
  }

  exec(name: string, command: string[], timeoutSeconds: number): Promise<CommandResult> {
    return this.shell.run(docker.exec(name, command, timeoutSeconds), { allowFailure: true });
  }

  async logs(name: string, lines: number): Promise<string> {
    const result = await this.shell.run(docker.logs(name, lines), { allowFailure: true });
    return result.stdout.trimEnd();
  }

  async list(filter: ContainerFilter): Promise<ContainerInfo[]> {
    return parseContainers((await this.shell.run(docker.list(filter))).stdout);
  }

  async usage(names: string[]): Promise<ContainerUsage[]> {
    if (!names.length) return [];
    const result = await this.shell.run(docker.stats(names), { allowFailure: true });
    return parseUsage(result.stdout);
  }

  async remove(names: string[]): Promise<void> {
    if (names.length) await this.shell.run(docker.remove(names));
  }

  async removeImages(ids: string[]): Promise<void> {
    if (ids.length) await this.shell.run(docker.removeImages(ids), { allowFailure: true });
  }

  async retireLater(delaySeconds: number, currentFile: string, app: string, names: string[]): Promise<void> {
    if (names.length) await this.shell.run(docker.retireLater(delaySeconds, currentFile, app, names));
  }
}

/** The 127.0.0.1 port of `docker port` output ("127.0.0.1:49153"). */
export function parsePublishedPort(text: string): number | undefined {
  const match = /127\.0\.0\.1:(\d+)/.exec(text);
  return match?.[1] ? Number(match[1]) : undefined;
}

/** "<status> <restart count> <exit code>" (see docker.state). */
const UNITS: Record<string, number> = {
  B: 1,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
};

/** docker stats lines "NAME 12.50% 20.5MiB / 1.9GiB"; lines it cannot read are left out. */
export function parseUsage(text: string): ContainerUsage[] {
  return text.split('\n').flatMap((line) => {
    const match = /^(\S+) ([\d.]+)% ([\d.]+)([A-Za-z]+) \//.exec(line.trim());
    const unit = match && UNITS[(match[4] as string).toUpperCase()];
    if (!match || !unit) return [];
    return [{ name: match[1] as string, cpuPercent: Number(match[2]), memoryBytes: Number(match[3]) * unit }];
  });
}

export function parseState(text: string): ContainerState {
  const [status = '', restarts = '0', exitCode = '0'] = text.trim().split(' ');
  return { status, restarts: Number(restarts), exitCode: Number(exitCode) };
}

/** LISTEN sockets from /proc/net/tcp{,6}: port, and whether bound to every address. */
export function parseListeners(text: string): Listener[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A' && fields[1]?.includes(':'))
    .map((fields) => {
      const [address = '', port = '0'] = (fields[1] as string).split(':');
      return { port: Number.parseInt(port, 16), any: /^0+$/.test(address) };
    });
}

/** Lines of docker.list output. */
export function parseContainers(text: string): ContainerInfo[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [name = '', app = '', previewOf = '', release = '', image = '', running = ''] = line.split('\t');
      return { name: name.replace(/^\//, ''), app, previewOf, release, image, running: running === 'true' };
    });
}
