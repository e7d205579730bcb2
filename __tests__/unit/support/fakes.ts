// Fakes of the seams Baton's commands run over (Shell, ContainerRuntime, Proxy, Frame), in memory, so
// that rollouts, rollbacks, locks and records can be tested without hosts. Each fake records what it
// was asked, and answers only what Baton's code asks: anything else fails the test.
import { expect, vi } from 'vitest';
import type { HealthCheck } from '../../../src/checks/model';
import type { Config } from '../../../src/config';
import type { RunContext } from '../../../src/config/context';
import { loadConfig } from '../../../src/config';
import type { Frame } from '../../../src/commands/frame';
import { BatonError, type CommandResult, RemoteCommandError } from '../../../src/errors';
import type { Server } from '../../../src/fleet';
import { LOCK_TAKEN, LOCKED, readHistory as readHistoryArgv } from '../../../src/host/commands';
import type { HttpOptions, HttpResult } from '../../../src/host/http';
import type { Held, RunOptions, RunResult, Shell } from '../../../src/host/ssh';
import { phaseTimer } from '../../../src/log';
import type {
  ContainerFilter,
  ContainerInfo,
  ContainerSpec,
  ContainerState,
  ContainerUsage,
  Listener,
} from '../../../src/model/container';
import type { HostSpec } from '../../../src/model/host';
import type { ReleaseRecord } from '../../../src/model/release';
import type { Route } from '../../../src/model/route';
import type { Proxy, RouteState, StagedRoute } from '../../../src/proxy';
import type { TrafficMark, TrafficReport } from '../../../src/proxy/types';
import type { ContainerRuntime, PullLogin } from '../../../src/runtime';
import { Secrets } from '../../../src/secrets';
import { CONTEXT, fakeSources, MINIMAL } from '../support';

// ---------------------------------------------------------------------------------------------------
// Commands no fake understands. They throw where they are sent (a caller may swallow that), and are
// kept here so that every test file can fail on them in afterEach.

const strays: string[] = [];

/** Fails when any fake was sent a command it does not know since the last call; then forgets them. */
export function expectNoStrayCommands(): void {
  const found = strays.splice(0);
  expect(found, 'commands the fakes do not understand').toEqual([]);
}

function stray(what: string): never {
  strays.push(what);
  throw new Error(`fake: unexpected ${what}`);
}

// ---------------------------------------------------------------------------------------------------
// Shell

/** What one machine has: its files, and the flock(2) locks its processes hold. Shared by its shells. */
export class FakeHost {
  readonly files = new Map<string, string>();
  /** lock file → the session holding it. */
  readonly locks = new Map<string, FakeHeld>();
  constructor(readonly label: string) {}
}

/** A command started with Shell.hold: for Baton, only the deploy lock. */
export interface FakeHeld extends Held {
  readonly argv: readonly string[];
  readonly closed: boolean;
}

const HISTORY_SCRIPT = readHistoryArgv('/')[2] as string;

/**
 * One SSH connection to a FakeHost. Knows the few commands Baton sends for its own files (rm -f, rm -rf,
 * ls -1, the history read) and the lock (hold); every argv is recorded in `commands`.
 */
export class FakeShell implements Shell {
  readonly commands: string[][] = [];
  readonly writes: { path: string; content: string; mode: string }[] = [];
  readonly holds: FakeHeld[] = [];
  readonly httpGets: { address: string; port: number; path: string }[] = [];
  /** What an HTTP probe gets; by default 200 "ok". */
  http: (address: string, port: number, options: HttpOptions) => HttpResult | Promise<HttpResult> = () => ({
    ok: true,
    status: 200,
    body: 'ok',
  });
  /** Makes the lock command exit with this code (and output) instead of taking the lock. */
  holdFails?: { code: number; output: string };

  constructor(readonly host: FakeHost = new FakeHost('deploy@fake')) {}

  get label(): string {
    return this.host.label;
  }

  get files(): Map<string, string> {
    return this.host.files;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push([...argv]);
    const result = this.answer(argv);
    if (result.code !== 0 && !options.allowFailure) throw new RemoteCommandError(argv.join(' '), result);
    return result;
  }

  async readFile(path: string): Promise<string | undefined> {
    return this.files.get(path);
  }

  async writeFile(path: string, content: string, mode: '600' | '644'): Promise<void> {
    this.writes.push({ path, content, mode });
    this.files.set(path, content);
  }

  async httpGet(address: string, port: number, options: HttpOptions): Promise<HttpResult> {
    this.httpGets.push({ address, port, path: options.path });
    return this.http(address, port, options);
  }

  /** flock: the first session of the host gets the lock; another exits 75 while it is held. */
  async hold(argv: readonly string[]): Promise<Held> {
    const [sh, flag, , name, appDir, lockFile, owner] = argv;
    if (sh !== 'sh' || flag !== '-c' || name !== 'baton-lock' || !appDir || !lockFile || owner === undefined)
      stray(`hold ${JSON.stringify(argv)}`);
    const { locks, files } = this.host;
    const taken = !this.holdFails && !locks.has(lockFile);
    let closed = false;
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    const output = taken ? `${LOCKED}\n` : (this.holdFails?.output ?? '');
    const held: FakeHeld = {
      argv: [...argv],
      get closed() {
        return closed;
      },
      ready: Promise.resolve(taken ? LOCKED : undefined),
      exited,
      output: () => output,
      close: async () => {
        if (closed) return;
        closed = true;
        if (locks.get(lockFile) === held) locks.delete(lockFile);
        exit(0);
      },
    };
    if (taken) {
      locks.set(lockFile, held);
      files.set(`${lockFile}.owner`, owner);
    } else {
      exit(this.holdFails?.code ?? LOCK_TAKEN);
    }
    this.holds.push(held);
    return held;
  }

  /** The history script's output, made from the files: current, then one line per record. */
  private history(appDir: string): string {
    const inDir = [...this.files.keys()].filter((path) => path.startsWith(`${appDir}/`));
    if (inDir.length === 0) return '';
    const current = this.files.get(`${appDir}/current`) ?? '\n';
    const dir = `${appDir}/releases/`;
    const records = inDir
      .filter((path) => path.startsWith(dir) && /^[^/]+\.json$/.test(path.slice(dir.length)))
      .sort()
      .map((path) => `${(this.files.get(path) as string).replace(/\n/g, '')}\n`);
    return current + records.join('');
  }

  private answer(argv: readonly string[]): CommandResult {
    const ok = (stdout = ''): CommandResult => ({ stdout, stderr: '', code: 0 });
    const [command, ...args] = argv;
    if (command === 'sh' && args[0] === '-c' && args[1] === HISTORY_SCRIPT && args[2] === 'baton-history') {
      return ok(this.history(args[3] as string));
    }
    if (command === 'rm' && args[0] === '-f') {
      for (const path of args.slice(1)) this.files.delete(path);
      return ok();
    }
    if (command === 'rm' && args[0] === '-rf' && args.length === 2) {
      const dir = args[1] as string;
      for (const path of [...this.files.keys()]) if (path.startsWith(`${dir}/`)) this.files.delete(path);
      return ok();
    }
    if (command === 'ls' && args[0] === '-1') {
      const dir = args[args.length - 1] as string;
      const names = [...this.files.keys()]
        .filter((path) => path.startsWith(`${dir}/`))
        .map((path) => path.slice(dir.length + 1).split('/')[0] as string);
      const unique = [...new Set(names)].sort();
      if (unique.length === 0) return { stdout: '', stderr: `ls: cannot access '${dir}'`, code: 2 };
      return ok(unique.map((name) => `${name}\n`).join(''));
    }
    return stray(`command on ${this.label}: ${JSON.stringify(argv)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Container runtime

export interface FakeContainer {
  spec: ContainerSpec;
  running: boolean;
  /** Restarts after it started: more than 0 is a crash loop. */
  restarts: number;
  exitCode: number;
  port?: number;
}

export interface RuntimeOptions {
  /** run() throws with this message (as docker run would exit non-zero). */
  failRun?: string;
  /** start() throws with this message. */
  failStart?: string;
  /** pull() throws with this message. */
  failPull?: string;
  /** Containers that run() or start() brings up crash at once (they keep restarting). */
  crash?: boolean;
  /** The first loopback port handed out; then one more per start. */
  firstPort?: number;
}

let nextPortBase = 40_000;

/** A container engine in memory: containers by name, loopback ports handed out one after the other. */
export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: { method: string; args: unknown[] }[] = [];
  private nextPort: number;

  constructor(
    readonly label: string,
    public options: RuntimeOptions = {},
  ) {
    this.nextPort = options.firstPort ?? (nextPortBase += 100);
  }

  /** The arguments of every call to `method`, in order. */
  callsOf(method: keyof ContainerRuntime): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** An existing container (an earlier release's), as `docker run` would have left it. */
  seed(name: string, labels: Record<string, string>, running: boolean, image = 'example/app:old'): void {
    const spec: ContainerSpec = { name, image, appPort: 80, labels, env: {}, memory: '', cpus: '' };
    this.containers.set(name, {
      spec,
      running,
      restarts: 0,
      exitCode: 0,
      port: running ? this.nextPort++ : undefined,
    });
  }

  async pull(image: string, login?: PullLogin): Promise<void> {
    this.record('pull', image, login);
    if (this.options.failPull) throw new BatonError(this.options.failPull);
  }

  async run(spec: ContainerSpec): Promise<void> {
    this.record('run', spec);
    if (this.options.failRun) throw new BatonError(this.options.failRun);
    if (this.containers.has(spec.name)) throw new BatonError(`Conflict. The container name "/${spec.name}"`);
    this.containers.set(spec.name, { spec, running: true, restarts: 0, exitCode: 0 });
    this.up(spec.name);
  }

  async start(name: string): Promise<void> {
    this.record('start', name);
    if (this.options.failStart) throw new BatonError(this.options.failStart);
    this.get(name);
    this.up(name);
  }

  async stop(name: string): Promise<void> {
    this.record('stop', name);
    const container = this.get(name);
    container.running = false;
    container.port = undefined;
  }

  async publishedPort(name: string): Promise<number | undefined> {
    this.record('publishedPort', name);
    return this.containers.get(name)?.port;
  }

  async state(name: string): Promise<ContainerState | undefined> {
    const container = this.containers.get(name);
    if (!container) return undefined;
    const { running, restarts, exitCode } = container;
    return { status: running ? 'running' : 'exited', restarts, exitCode };
  }

  async addresses(name: string): Promise<string[]> {
    this.get(name);
    return ['172.17.0.2'];
  }

  async listeners(name: string): Promise<Listener[]> {
    return [{ port: this.get(name).spec.appPort, any: true }];
  }

  async exec(name: string, command: string[]): Promise<CommandResult> {
    this.record('exec', name, command);
    this.get(name);
    return { stdout: '', stderr: '', code: 0 };
  }

  async logs(name: string): Promise<string> {
    return `(output of ${name})`;
  }

  async list(filter: ContainerFilter): Promise<ContainerInfo[]> {
    return [...this.containers.values()]
      .map(({ spec, running }) => ({
        name: spec.name,
        app: spec.labels['baton.app'] ?? '',
        previewOf: spec.labels['baton.preview-of'] ?? '',
        release: spec.labels['baton.release'] ?? '',
        image: `sha256:${spec.image}`,
        running,
      }))
      .filter((info) => !filter.running || info.running)
      .filter((info) => !filter.app || info.app === filter.app)
      .filter((info) => !filter.previewOf || info.previewOf === filter.previewOf)
      .filter((info) => !filter.baton || info.app !== '');
  }

  async remove(names: string[]): Promise<void> {
    this.record('remove', names);
    for (const name of names) this.containers.delete(name);
  }

  async removeImages(ids: string[]): Promise<void> {
    this.record('removeImages', ids);
  }

  /** What usage() answers: set by a test; running containers not named use nothing. */
  usageOf = new Map<string, { cpuPercent: number; memoryBytes: number }>();

  async usage(names: string[]): Promise<ContainerUsage[]> {
    this.record('usage', names);
    return names
      .filter((name) => this.containers.get(name)?.running)
      .map((name) => ({ name, cpuPercent: 0, memoryBytes: 0, ...this.usageOf.get(name) }));
  }

  async retireLater(delaySeconds: number, currentFile: string, app: string, names: string[]): Promise<void> {
    this.record('retireLater', delaySeconds, currentFile, app, names);
  }

  private up(name: string): void {
    const container = this.get(name);
    container.running = true;
    container.port = this.nextPort++;
    if (this.options.crash) {
      container.restarts = 1;
      container.exitCode = 1;
    }
  }

  private get(name: string): FakeContainer {
    const container = this.containers.get(name);
    if (!container) throw new BatonError(`Error response from daemon: No such container: ${name}`);
    return container;
  }

  private record(method: keyof ContainerRuntime, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }
}

// ---------------------------------------------------------------------------------------------------
// Proxy

export interface ProxyOptions {
  /** stage() throws (the staged file cannot be written). */
  failStage?: boolean;
  /** commit() refuses (as when `nginx -t` rejects the config): what was live stays, and it throws. */
  failCommit?: boolean;
  /** revert() throws. */
  failRevert?: boolean;
  /**
   * What traffic() answers (per-release figures since `since`, default since the last hand-over: see
   * handedOverAt); by default undefined, as from a driver that keeps no figures.
   */
  traffic?: (app: string, since: TrafficMark | undefined) => TrafficReport | undefined;
}

interface FakeStaged extends StagedRoute {
  previous: Route | undefined;
}

type ProxyCall =
  { op: 'stage' | 'commit' | 'revert'; route: Route } | { op: 'discard' | 'remove'; app: string };

/** A reverse proxy in memory: the live route of each app, the staged ones, and a log of the calls. */
export class FakeProxy implements Proxy {
  readonly name = 'fake-proxy';
  readonly live = new Map<string, Route>();
  readonly staged = new Map<string, Route>();
  readonly calls: ProxyCall[] = [];
  /** Every drain(), in order (not in `calls`: the hand-over tests count the route operations). */
  readonly drains: { app: string; boundSeconds: number }[] = [];
  /** When (Date.now()) a commit or revert last changed what is live: where traffic() counts from. */
  handedOverAt: number | undefined;

  constructor(
    readonly label: string,
    public options: ProxyOptions = {},
  ) {}

  /** The operations in order, e.g. ['stage', 'commit']. */
  ops(): string[] {
    return this.calls.map((call) => call.op);
  }

  async stage(route: Route): Promise<StagedRoute> {
    this.calls.push({ op: 'stage', route });
    if (this.options.failStage) throw new BatonError(`fake-proxy on ${this.label} could not stage the route`);
    this.staged.set(route.app, route);
    const staged: FakeStaged = { route, previous: this.live.get(route.app) };
    return staged;
  }

  async commit(staged: StagedRoute): Promise<void> {
    const { route } = staged;
    this.calls.push({ op: 'commit', route });
    if (this.options.failCommit) throw new BatonError(`fake-proxy on ${this.label} rejected the new route`);
    this.live.set(route.app, route);
    this.staged.delete(route.app);
    this.handedOverAt = Date.now();
  }

  async revert(staged: StagedRoute): Promise<void> {
    const { route, previous } = staged as FakeStaged;
    this.calls.push({ op: 'revert', route });
    if (this.options.failRevert) throw new BatonError(`fake-proxy on ${this.label} could not revert`);
    if (previous) this.live.set(route.app, previous);
    else this.live.delete(route.app);
    this.handedOverAt = Date.now();
  }

  async discard(app: string): Promise<void> {
    this.calls.push({ op: 'discard', app });
    this.staged.delete(app);
  }

  async remove(app: string): Promise<void> {
    this.calls.push({ op: 'remove', app });
    this.live.delete(app);
    this.staged.delete(app);
  }

  async describe(app: string): Promise<RouteState> {
    const route = this.live.get(app);
    const where = `/etc/fake-proxy/${app}.conf`;
    if (!route) return { where, live: false, upstreams: [] };
    const upstreams = route.upstreams.map((upstream) => `127.0.0.1:${upstream.port}`);
    return { where, live: true, release: route.release, upstreams };
  }

  async refresh(): Promise<void> {}

  async drain(app: string, boundSeconds: number): Promise<undefined> {
    this.drains.push({ app, boundSeconds });
    return undefined;
  }

  async traffic(app: string, since?: TrafficMark): Promise<TrafficReport | undefined> {
    return this.options.traffic?.(app, since);
  }

  async watchOnHost(): Promise<boolean> {
    return false;
  }

  async stopHostWatch(): Promise<string | undefined> {
    return undefined;
  }

  async claimedBy(domain: string, app: string): Promise<string | undefined> {
    const other = [...this.live.values()].find((route) => route.domain === domain && route.app !== app);
    return other && `/etc/fake-proxy/${other.app}.conf`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Servers and the frame

/** A Server whose parts are fakes, typed as such so that tests can look inside. */
export interface FakeServer extends Server {
  readonly shell: FakeShell;
  readonly runtime: FakeRuntime;
  readonly proxy: FakeProxy;
}

export interface ServerOptions {
  /** The machine it connects to; a new one by default. Two servers of one host share files and locks. */
  host?: FakeHost;
  runtime?: RuntimeOptions;
  proxy?: ProxyOptions;
}

export function fakeServer(label: string, options: ServerOptions = {}): FakeServer {
  const shell = new FakeShell(options.host ?? new FakeHost(label));
  return {
    label,
    shell,
    runtime: new FakeRuntime(label, options.runtime),
    proxy: new FakeProxy(label, options.proxy),
  };
}

/** A Frame whose connect() hands out the given servers; it counts connections and disconnections. */
export interface FakeFrame extends Frame {
  readonly connected: HostSpec[][];
  readonly disconnects: number;
}

export function fakeFrame(config: Config, servers: Server[], context: RunContext = CONTEXT): FakeFrame {
  const connected: HostSpec[][] = [];
  let disconnects = 0;
  return {
    config,
    context,
    secrets: new Secrets(),
    ...phaseTimer(),
    connect: async (hosts) => {
      connected.push(hosts);
      return { servers, disconnect: () => void disconnects++ };
    },
    progress: async () => undefined,
    connected,
    get disconnects() {
      return disconnects;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Settings and history

/** A config as loadConfig makes it: a tagged image (nothing is built), default checks with no wait. */
export function testConfig(inputs: Record<string, string> = {}): Config {
  return loadConfig(
    fakeSources({
      ...MINIMAL,
      build: 'false',
      image: 'registry.example.com/acme/web:1.4.2',
      'registry-username': 'deployer',
      'registry-password': 'registry-secret',
      'default-checks-wait': '0',
      // The canary has tests of its own (traffic/canary-strategy.test.ts); commands move traffic at once.
      'skip-canary': 'true',
      ...inputs,
    }),
  );
}

/** Startup checks that only look at the container: it must be up and not restarting. Instant. */
export function uptimeChecks(): Config['checks'] {
  const check: HealthCheck = {
    kind: 'uptime',
    name: 'uptime',
    origin: 'test',
    uptime: 0,
    attempts: 1,
    timeout: 5,
    wait: 0,
    initialDelay: 0,
  };
  return {
    suite: { source: 'default', sequential: false, startup: [check], other: [] },
    warnings: [],
    timing: 'fast',
  };
}

/** A release record as a deploy writes it. */
export function releaseRecord(id: string, outcome: ReleaseRecord['outcome'], app = 'web'): ReleaseRecord {
  return {
    id,
    app,
    image: `registry.example.com/acme/web:${id}`,
    commit: 'f00dfacef00dfacef00dfacef00dfacef00dface',
    ref: 'refs/heads/main',
    actor: 'octocat',
    runUrl: 'https://github.com/acme/web/actions/runs/1',
    container: `${app}-${id}`,
    startedAt: '2024-03-01T10:00:00.000Z',
    ...(outcome === 'running' ? {} : { finishedAt: '2024-03-01T10:01:00.000Z' }),
    outcome,
  };
}

/**
 * Puts an earlier deploy on a server: its record, its container (running when it is current, stopped
 * otherwise), and, when current, the current file and the live route to it.
 */
export function seedRelease(
  server: FakeServer,
  appDir: string,
  record: ReleaseRecord,
  current = false,
): void {
  server.shell.files.set(`${appDir}/releases/${record.id}.json`, `${JSON.stringify(record, null, 2)}\n`);
  const labels = { 'baton.app': record.app, 'baton.release': record.id };
  if (record.outcome !== 'error' && record.outcome !== 'cancelled')
    server.runtime.seed(record.container, labels, current, record.image);
  if (!current) return;
  server.shell.files.set(`${appDir}/current`, `${record.id}\n`);
  const port = server.runtime.containers.get(record.container)?.port ?? 0;
  server.proxy.live.set(record.app, {
    app: record.app,
    release: record.id,
    domain: 'web.example.com',
    listen: '80',
    upstreams: [{ port, weight: 1 }],
  });
}

/** The record of a release as the server keeps it, parsed. */
export function recordOn(server: FakeServer, appDir: string, id: string): ReleaseRecord | undefined {
  const text = server.shell.files.get(`${appDir}/releases/${id}.json`);
  return text === undefined ? undefined : (JSON.parse(text) as ReleaseRecord);
}

/** Every version of a release's record the server was given, in order (e.g. running, then done). */
export function recordWrites(server: FakeServer, appDir: string, id: string): ReleaseRecord[] {
  return server.shell.writes
    .filter((write) => write.path === `${appDir}/releases/${id}.json`)
    .map((write) => JSON.parse(write.content) as ReleaseRecord);
}

/** The release the server's current file names. */
export function currentOn(server: FakeServer, appDir: string): string | undefined {
  return server.shell.files.get(`${appDir}/current`)?.trim();
}

// ---------------------------------------------------------------------------------------------------
// The log

/**
 * Keeps what @actions/core prints (log lines, warnings, groups) out of the test output, and returns it
 * for assertions. Undone by vi.restoreAllMocks().
 */
export function captureLog(): { text(): string } {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join('') };
}
