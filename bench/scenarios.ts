// One function per figure of the bench. Each returns raw measurements; run.ts turns them into figures.
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ActionRun, runAction, startAction } from '../__tests__/e2e/support/action';
import { engine, removeApp } from '../__tests__/e2e/support/docker';
import { hostInputs, ROOT, type TestHost } from '../__tests__/e2e/support/host';
import { listeningAt, waitForBody } from '../__tests__/e2e/support/probe';
import { reloadNginx, ssh, sshLogins } from './host';
import { type LoadResult, startLoad } from './load';
import { sleep } from './stats';

export const APP = 'bench';
const NAIVE_PORT = 18099;

export interface Context {
  host: TestHost;
  /** The test app's image with VERSION=v<n>, built and pushed beforehand. */
  image(n: number): string;
  images: number;
}

/** A release of the test app: an image (round robin) and a version of its own, set at run time. */
interface Release {
  image: string;
  version: string;
  /** What GET / answers with. */
  body: string;
}

let releases = 0;

/**
 * The next release. Its VERSION is set in the container's environment and is unique, so its answers
 * (and its container) cannot be mistaken for those of the serving, retiring or any earlier release.
 */
function next(context: Context): Release {
  const n = ++releases;
  return { image: context.image(n % context.images), version: `r${n}`, body: `version r${n}` };
}

/** A Baton deploy of the bench app; `env` lines are added to the release's BOOT_DELAY and VERSION. */
function deploy(context: Context, release: Release, inputs: Record<string, string> = {}, files = {}) {
  return runAction(deployInputs(context, release, inputs), { DOCKER_HOST: context.host.DOCKER_HOST }, files);
}

function deployInputs(context: Context, release: Release, inputs: Record<string, string>) {
  const { env = '', ...rest } = inputs;
  return {
    ...hostInputs(context.host, APP),
    build: 'false',
    image: release.image,
    env: `BOOT_DELAY=1\nVERSION=${release.version}\n${env}`,
    'default-checks-wait': '0',
    'retire-after': '2',
    ...rest,
  };
}

function check(run: ActionRun, what: string): void {
  if (run.code !== 0) throw new Error(`${what} failed:\n${run.stdout.slice(-3000)}`);
}

export async function prepare(context: Context): Promise<void> {
  await removeApp(context.host, APP);
  check(await deploy(context, next(context)), 'the first deploy of the bench app');
}

export interface DeployUnderLoad {
  load: LoadResult;
  seconds: number;
  sshLogins: number;
  code: number;
}

/** The app of the nginx-handover: reload runs (the bench app itself uses the default, sockets). */
export const RELOAD_APP = 'bench-reload';

/** The inputs that make a deploy one of RELOAD_APP with the reload hand-over; none otherwise. */
function reloadInputs(reload = false): Record<string, string> {
  return reload ? { app: RELOAD_APP, domain: `${RELOAD_APP}.test`, 'nginx-handover': 'reload' } : {};
}

/** A first deploy of the app the reload runs use, with the reload hand-over. */
export async function prepareReload(context: Context): Promise<void> {
  await removeApp(context.host, RELOAD_APP);
  check(await deploy(context, next(context), reloadInputs(true)), 'the first deploy of the reload bench app');
}

/**
 * Figure 1 (Baton): a deploy, then past retire-after, under steady keep-alive load from `connections`
 * clients; `reload` deploys RELOAD_APP with nginx-handover: reload instead.
 */
export async function batonUnderLoad(
  context: Context,
  inputs: Record<string, string> = {},
  options: { connections?: number; reload?: boolean } = {},
): Promise<DeployUnderLoad> {
  const app = options.reload ? RELOAD_APP : APP;
  const appInputs = reloadInputs(options.reload);
  const load = startLoad({
    port: Number(context.host.NGINX_PORT),
    host: `${app}.test`,
    connections: options.connections ?? 4,
  });
  await sleep(1000);
  const logins = sshLogins(context.host);
  const started = Date.now();
  const run = await deploy(context, next(context), { ...appInputs, ...inputs });
  const seconds = (Date.now() - started) / 1000;
  const sshCount = sshLogins(context.host) - logins;
  await sleep(3000); // the old container stops (retire-after 2 s) while the load goes on
  return { load: await load.stop(), seconds, sshLogins: sshCount, code: run.code };
}

/** Figure 1 (hand-written): `docker stop old && docker run new` over SSH, nginx on a fixed port. */
export async function naiveSetup(context: Context): Promise<void> {
  await naiveCleanup(context);
  const conf = `server {\n    listen 127.0.0.1:${context.host.NGINX_PORT};\n    server_name naive.test;\n    location / { proxy_pass http://127.0.0.1:${NAIVE_PORT}; }\n}\n`;
  writeFileSync(join(context.host.NGINX_CONF_DIR, 'bench-naive.conf'), conf);
  reloadNginx(context.host);
  const release = next(context);
  await ssh(context.host, naiveRun('naive-0', release));
  await waitForBody({ port: Number(context.host.NGINX_PORT), host: 'naive.test' }, release.body);
}

let naiveCount = 0;

export async function naiveUnderLoad(context: Context): Promise<DeployUnderLoad> {
  const nginx = { port: Number(context.host.NGINX_PORT), host: 'naive.test' };
  const load = startLoad(nginx);
  await sleep(1000);
  const logins = sshLogins(context.host);
  const started = Date.now();
  const release = next(context);
  const old = `naive-${naiveCount}`;
  const name = `naive-${++naiveCount}`;
  await ssh(context.host, [
    'sh',
    '-c',
    'docker stop "$1" >/dev/null && docker rm "$1" >/dev/null && shift && exec "$@"',
    'sh',
    old,
    ...naiveRun(name, release),
  ]);
  await waitForBody(nginx, release.body);
  const seconds = (Date.now() - started) / 1000;
  const sshCount = sshLogins(context.host) - logins;
  await sleep(1000);
  return { load: await load.stop(), seconds, sshLogins: sshCount, code: 0 };
}

function naiveRun(name: string, release: Release): string[] {
  const env = ['-e', 'BOOT_DELAY=1', '-e', `VERSION=${release.version}`];
  return ['docker', 'run', '-d', '--name', name, ...env, '-p', `127.0.0.1:${NAIVE_PORT}:8080`, release.image];
}

export async function naiveCleanup(context: Context): Promise<void> {
  const docker = engine(context.host);
  for (const info of await docker.listContainers({ all: true })) {
    if (info.Names.some((name) => /^\/naive-\d+$/.test(name)))
      await docker.getContainer(info.Id).remove({ force: true });
  }
  rmSync(join(context.host.NGINX_CONF_DIR, 'bench-naive.conf'), { force: true });
}

export interface CanaryRollback {
  /** From the first traffic on the bad release (its step 1) to all traffic back on the old one. */
  faultToRollbackMs: number;
  /** Requests the bad release answered (nginx's traffic log), and the load's failures (its 500s). */
  served: number;
  load: LoadResult;
}

/**
 * Figure 6: a release answering FAIL_PERCENT=20 500s under load from 32 clients (each its own bucket
 * key), deployed with the canary and `inputs`; it must be rolled back.
 */
export async function canaryRollback(
  context: Context,
  inputs: Record<string, string>,
): Promise<CanaryRollback> {
  const release = next(context);
  const load = startLoad({
    port: Number(context.host.NGINX_PORT),
    host: `${APP}.test`,
    connections: 32,
    path: '/cgi-bin/work',
    distinctClients: true,
  });
  await sleep(500);
  const action = startAction(
    deployInputs(context, release, { 'skip-canary': 'false', env: 'FAIL_PERCENT=20', ...inputs }),
    { DOCKER_HOST: context.host.DOCKER_HOST },
  );
  await action.waitFor(/\[canary\] Step 1\//, 120_000);
  const moved = Date.now();
  await action.waitFor(/routes .* to the previous release again/, 600_000);
  const back = Date.now();
  const run = await action.done;
  if (!/rolled back to/.test(run.stdout))
    throw new Error(`the bad release was not rolled back:\n${run.stdout.slice(-3000)}`);
  const result = await load.stop();
  return { faultToRollbackMs: back - moved, served: servedBy(context.host, APP, run.stdout), load: result };
}

/** Requests nginx logged as answered by the release the run's log names. */
function servedBy(host: TestHost, app: string, stdout: string): number {
  const log = readFileSync(join(host.NGINX_LOG_DIR, `baton-${app}.traffic.log`), 'utf8');
  const release = /Deploying \S+ release (\S+)/.exec(stdout)?.[1];
  if (!release) return 0;
  return log.split('\n').filter((line) => line.includes(`"${release}"`)).length;
}

/** Figure 2: the app says it listens (its log line's timestamp) → the new version's first response through nginx. */
export async function readyToTraffic(
  context: Context,
  timing: 'fast' | 'dokku',
  options: { reload?: boolean } = {},
): Promise<number> {
  const release = next(context);
  const app = options.reload ? RELOAD_APP : APP;
  const appInputs = reloadInputs(options.reload);
  const nginx = { port: Number(context.host.NGINX_PORT), host: `${app}.test` };
  const served = waitForBody(nginx, release.body);
  const inputs = { ...appInputs, checks: 'CHECKS', 'checks-timing': timing };
  check(await deploy(context, release, inputs, { CHECKS: `/  ${release.body}\n` }), `the ${timing} deploy`);
  return (await served) - (await listeningAt(context.host, app, `VERSION=${release.version}`));
}

/** Figure 3: wall time of a Baton deploy (and its phases), image already on the host, no load. */
export async function batonWallTime(
  context: Context,
): Promise<{ seconds: number; phases: Record<string, number> }> {
  const started = Date.now();
  const run = await deploy(context, next(context));
  const seconds = (Date.now() - started) / 1000;
  check(run, 'the timed deploy');
  const phases: Record<string, number> = {};
  for (const [, name, time] of run.stdout.matchAll(/^([\w-]+) done in ([\d.]+)s$/gm))
    phases[name as string] = Number(time);
  return { seconds, phases };
}

let minimalCount = 0;
const MINIMAL_DOCKER_CONFIG = '/tmp/baton-bench-minimal-docker';

/** The minimal script's registry login on the host, made once, as its user would have. */
export async function minimalSetup(context: Context): Promise<void> {
  const { host } = context;
  const login = [
    'docker',
    '--config',
    MINIMAL_DOCKER_CONFIG,
    'login',
    '-u',
    host.REGISTRY_USER,
    '--password-stdin',
    host.REGISTRY,
  ];
  const password = join(mkdtempSync(join(tmpdir(), 'baton-bench-')), 'password');
  writeFileSync(password, host.REGISTRY_PASSWORD, { mode: 0o600 });
  await ssh(host, login, password);
  rmSync(password);
}

export async function minimalWallTime(context: Context): Promise<{ seconds: number; sshLogins: number }> {
  const { host } = context;
  const release = next(context);
  const logins = sshLogins(host);
  const started = Date.now();
  const args = [
    release.image,
    `minimal-${++minimalCount}`,
    'minimal.test',
    `127.0.0.1:${host.NGINX_PORT}`,
    host.NGINX_CONF_DIR,
    host.NGINX_TEST_COMMAND,
    host.NGINX_RELOAD_COMMAND,
    MINIMAL_DOCKER_CONFIG,
    release.version,
  ];
  await ssh(host, ['sh', '-s', '--', ...args], resolve(__dirname, 'minimal-deploy.sh'));
  const seconds = (Date.now() - started) / 1000;
  await waitForBody({ port: Number(host.NGINX_PORT), host: 'minimal.test' }, release.body);
  return { seconds, sshLogins: sshLogins(host) - logins };
}

export async function minimalCleanup(context: Context): Promise<void> {
  const docker = engine(context.host);
  for (const info of await docker.listContainers({ all: true, filters: { label: ['bench.minimal=1'] } })) {
    await docker.getContainer(info.Id).remove({ force: true });
  }
  rmSync(join(context.host.NGINX_CONF_DIR, 'bench-minimal.conf'), { force: true });
  rmSync(MINIMAL_DOCKER_CONFIG, { recursive: true, force: true });
}

/** Figure 4: `node dist/index.js` until its first line of output (a plan of the bench app). */
export async function coldStart(context: Context): Promise<number> {
  const inputs = {
    ...hostInputs(context.host, APP),
    command: 'plan',
    build: 'false',
    image: context.image(0),
  };
  const env = Object.fromEntries(
    Object.entries(inputs).map(([key, value]) => [`INPUT_${key.toUpperCase()}`, value]),
  );
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(ROOT, 'dist/index.js')], {
    env: { PATH: process.env.PATH, GITHUB_REPOSITORY: 'acme/web', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ms = await new Promise<number>((resolveFirst) =>
    child.stdout.once('data', () => resolveFirst(Number(process.hrtime.bigint() - started) / 1e6)),
  );
  child.kill('SIGKILL');
  return ms;
}

export function bundleSize(): { bytes: number; gzipBytes: number } {
  const bundle = readFileSync(join(ROOT, 'dist/index.js'));
  return { bytes: bundle.length, gzipBytes: gzipSync(bundle).length };
}
