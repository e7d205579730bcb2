import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { type HostSpec, hostLabel } from '../model/host';
import { BatonError, type CommandResult, errorMessage, RemoteCommandError } from '../errors';
import { type HostKeyPolicy, hostKeyCheck } from './host-key';
import { type HttpOptions, type HttpResult, httpGetOver } from './http';
import * as commands from './commands';
import { toShell } from './shell';

export type RunResult = CommandResult;

export interface RunOptions {
  stdin?: string;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

export interface Held {
  ready: Promise<string | undefined>;
  exited: Promise<number>;
  output(): string;
  close(): Promise<void>;
}

/** The private key to log in with, and its passphrase ('' when it is not encrypted). */
export interface SshKey {
  privateKey: string;
  passphrase: string;
}

/** One SSH connection to one target host; every remote action goes through it. */
export class RemoteHost {
  private constructor(
    readonly spec: HostSpec,
    private readonly ssh: NodeSSH,
    readonly note?: string,
  ) {}

  get label(): string {
    return hostLabel(this.spec);
  }

  static async connect(spec: HostSpec, key: SshKey, policy: HostKeyPolicy): Promise<RemoteHost> {
    const check = hostKeyCheck(spec.host, spec.port, policy);
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: spec.host,
        port: spec.port,
        username: spec.user,
        privateKey: key.privateKey,
        ...(key.passphrase ? { passphrase: key.passphrase } : {}),
        readyTimeout: 20_000,
        keepaliveInterval: 10_000,
        hostVerifier: (key: Buffer) => check.verify(key),
        ...(check.algorithms.length ? { algorithms: { serverHostKey: check.algorithms as never } } : {}),
      });
    } catch (error) {
      ssh.dispose();
      if (check.outcome?.refused) throw new BatonError(check.outcome.message, { cause: error });
      throw new BatonError(`cannot connect to ${hostLabel(spec)}: ${errorMessage(error)}`, { cause: error });
    }
    // Without TCP_NODELAY every exec waits on delayed ACKs: 205 ms per command instead of 140 ms here.
    ssh.connection?.setNoDelay(true);
    return new RemoteHost(spec, ssh, check.outcome?.message);
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const command = toShell(argv);
    const response = await this.ssh.execCommand(command, { stdin: options.stdin, noTrim: true });
    const result = { stdout: response.stdout, stderr: response.stderr, code: response.code ?? 255 };
    if (result.code !== 0 && !options.allowFailure) throw new RemoteCommandError(command, result);
    return result;
  }

  /** Writes a file atomically (temp file + rename) with the given permissions; content goes over stdin. */
  async writeFile(path: string, content: string, mode: '600' | '644', options: { mkdir?: boolean } = {}) {
    // With mkdir, missing parent directories are created with mode 700 (the umask): Baton's state only.
    await this.run(commands.writeFile(path, mode, options.mkdir ?? false), { stdin: content });
  }

  /** Reads a file, or undefined when it does not exist. */
  async readFile(path: string): Promise<string | undefined> {
    const result = await this.run(commands.readFile(path), { allowFailure: true });
    if (result.code === commands.NO_FILE) return undefined;
    if (result.code !== 0) throw new RemoteCommandError(`cat ${path}`, result);
    return result.stdout;
  }

  /** An HTTP GET to an address the host can reach (its loopback, a container), tunnelled through SSH. */
  async httpGet(address: string, port: number, options: HttpOptions): Promise<HttpResult> {
    return httpGetOver(() => this.ssh.forwardOut('127.0.0.1', 0, address, port), options);
  }

  /**
   * Starts a command whose stdin stays open: it lives as long as this connection, or until close().
   * `ready` resolves with the first line it prints, or undefined if it exits first.
   */
  async hold(argv: readonly string[]): Promise<Held> {
    const connection = this.ssh.connection;
    if (!connection) throw new BatonError(`not connected to ${this.label}`);
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      connection.exec(toShell(argv), (error, stream) => (error ? reject(error) : resolve(stream))),
    );
    let output = '';
    const exited = new Promise<number>((resolve) =>
      channel.on('exit', (code: number | null) => resolve(code ?? 255)),
    );
    const ready = new Promise<string | undefined>((resolve) => {
      channel.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const newline = output.indexOf('\n');
        if (newline >= 0) resolve(output.slice(0, newline));
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      void exited.then(() => resolve(undefined));
    });
    return {
      ready,
      exited,
      output: () => output,
      close: async () => {
        channel.end();
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      },
    };
  }

  dispose(): void {
    this.ssh.dispose();
  }
}

/** What the rest of Baton uses of a host connection: the seam unit tests fake. */
export type Shell = Pick<RemoteHost, 'label' | 'run' | 'readFile' | 'writeFile' | 'hold' | 'httpGet'>;
