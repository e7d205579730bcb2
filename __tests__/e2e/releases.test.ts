import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction, runPost, startAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost, releaseHistory } from './support/host';
import { startLoad } from './support/load';
import { liveRelease } from './support/nginx';

const host = readTestHost();
const app = 'rel';
const appDir = `${host.BATON_TEST_ROOT}/state/${app}`;
const siteFile = `${host.NGINX_CONF_DIR}/baton-${app}.conf`;
const nginx = { port: Number(host.NGINX_PORT), host: `${app}.test` };
const releases: string[] = [];
let commit = 0;

function inputs(extra: Record<string, string> = {}) {
  return { ...hostInputs(host, app), 'retire-after': '1', ...extra };
}

function env() {
  commit++;
  return {
    DOCKER_HOST: host.DOCKER_HOST,
    GITHUB_SHA: String(commit).padStart(40, 'e'),
    GITHUB_RUN_ID: String(commit),
  };
}

function deploy(version: string, extra: Record<string, string> = {}, files: Record<string, string> = {}) {
  return runAction(inputs({ 'build-args': `VERSION=${version}`, ...extra }), env(), files);
}

function command(name: string, extra: Record<string, string> = {}) {
  return runAction(inputs({ command: name, ...extra }), env());
}

const history = () => releaseHistory(appDir);

async function underLoad(work: () => Promise<ActionRun>) {
  const load = startLoad({ ...nginx, concurrency: 2, maxMs: 90_000, maxRequests: 100_000 });
  const run = await work();
  const report = await load.stop();
  return { run, report };
}

/** Everything on the host that belongs to the app: containers, files under its state dir, the nginx file. */
function snapshot(): string {
  const containers = execFileSync(
    'docker',
    ['ps', '-a', '--filter', `label=baton.app=${app}`, '--format', '{{.Names}} {{.State}}'],
    {
      env: { ...process.env, DOCKER_HOST: host.DOCKER_HOST },
      encoding: 'utf8',
    },
  );
  const files = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? files(path) : [`${path} ${readFileSync(path, 'utf8')}`];
        })
      : [];
  return [
    containers,
    ...files(appDir),
    existsSync(siteFile) ? readFileSync(siteFile, 'utf8') : 'no site',
  ].join('\n');
}

describe('releases, history, lock, rollback, plan, destroy', () => {
  beforeAll(async () => {
    await removeApp(host, app);
  });
  afterAll(async () => {
    await removeApp(host, app);
  });

  it('keeps the history of three deploys on the host, and status prints it', async () => {
    for (const version of ['r1', 'r2', 'r3']) {
      const run = await deploy(version);
      expect(run.code, run.stdout).toBe(0);
      releases.push(run.outputs.release as string);
      if (releases.length > 1) expect(run.outputs['previous-release']).toBe(releases.at(-2));
    }
    const { current, outcome } = history();
    expect(current).toBe(releases[2]);
    for (const id of releases) expect(outcome[id]).toBe('done');
    const status = await command('status');
    expect(status.code, status.stdout).toBe(0);
    expect(status.outputs.release).toBe(releases[2]);
    expect(status.stdout).toContain(`* ${releases[2]}  done`);
    for (const id of releases) expect(status.summary).toContain(id);
    const labels = (await appContainers(host, app)).map((container) => container.labels['baton.release']);
    expect(labels.sort()).toEqual([...releases].sort());
  });

  it('plan changes nothing on the host', async () => {
    const before = snapshot();
    const run = await command('plan');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`current release: ${releases[2]}`);
    expect(run.stdout).toContain('would pull');
    expect(snapshot()).toBe(before);
  });

  it('rolls back to the previous release under load, without a failed request', async () => {
    const { run, report } = await underLoad(() => command('rollback'));
    expect(run.code, run.stdout).toBe(0);
    expect(report.failed, report.failures.join('\n')).toBe(0);
    expect(report.bodies.at(-1)?.[0]).toBe('version r2');
    expect(run.outputs.release).toBe(releases[1]);
    expect(run.outputs['previous-release']).toBe(releases[2]);
    const { current, outcome } = history();
    expect(current).toBe(releases[1]);
    expect(outcome[releases[2] as string]).toBe('rolled back');
  });

  it('rolls back to a named release under load', async () => {
    const { run, report } = await underLoad(() => command('rollback', { release: releases[0] as string }));
    expect(run.code, run.stdout).toBe(0);
    expect(report.failed, report.failures.join('\n')).toBe(0);
    expect(report.bodies.at(-1)?.[0]).toBe('version r1');
    expect(history().current).toBe(releases[0]);
    const unknown = await command('rollback', { release: '20200101-000000-nothere' });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain(
      'cannot roll back: release 20200101-000000-nothere is not in the history',
    );
  });

  it('never interleaves two deploys started together: the second waits for the lock', async () => {
    const first = startAction(inputs({ 'build-args': 'VERSION=r4', env: 'BOOT_DELAY=2' }), env());
    await first.waitFor(/holding the deploy lock/);
    const second = startAction(inputs({ 'build-args': 'VERSION=r5' }), env());
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code, a.stdout).toBe(0);
    expect(b.code, b.stdout).toBe(0);
    expect(b.stdout).toMatch(
      new RegExp(`waiting for the deploy lock on .*: held by release ${a.outputs.release}`),
    );
    expect(b.outputs['previous-release']).toBe(a.outputs.release);
    expect(history().current).toBe(b.outputs.release);
    expect(liveRelease(host, app)).toBe(b.outputs.release);
  });

  it('two deploys of the same commit started together get release ids of their own', async () => {
    const same = env();
    const first = startAction(inputs({ 'build-args': 'VERSION=r4b' }), same);
    const second = startAction(inputs({ 'build-args': 'VERSION=r4b' }), same);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code, a.stdout).toBe(0);
    expect(b.code, b.stdout).toBe(0);
    const ids = [a.outputs.release, b.outputs.release] as string[];
    expect(new Set(ids).size).toBe(2);
    console.log(`same commit, started together: releases ${ids.join(' and ')}`);
    // YYYYMMDD-HHMMSS-SHA7 is 23 characters; a renamed release adds -2.
    if (ids[0]?.slice(0, 23) === ids[1]?.slice(0, 23)) {
      // Started in the same second: whichever took the lock second is renamed, and says so.
      const renamed = ids.find((id) => id.endsWith('-2'));
      expect(renamed).toBeDefined();
      expect(`${a.stdout}${b.stdout}`).toContain('exists already (same commit, same second)');
    }
    const { outcome } = history();
    for (const id of ids) expect(outcome[id]).toBe('done');
  });

  it('a deploy killed mid-check leaves the old release serving; the post step cleans up; the next deploy takes the lock', async () => {
    const before = history().current;
    const load = startLoad({ ...nginx, concurrency: 2, maxMs: 90_000, maxRequests: 100_000 });
    // The post step is run by hand below, to look at the host between the kill and the clean-up.
    const killed = startAction(
      inputs({ 'build-args': 'VERSION=r6', env: 'BOOT_DELAY=60', 'ready-timeout': '120' }),
      env(),
      {},
      { post: false },
    );
    await killed.waitFor(/::group::Checks/);
    killed.child.kill('SIGKILL');
    const dead = await killed.done;
    expect(dead.signal).toBe('SIGKILL');
    const inFlight = JSON.parse(dead.state['baton-in-flight'] as string) as {
      container: string;
      release: string;
    };
    expect((await appContainers(host, app)).map((container) => container.name)).toContain(inFlight.container);
    const post = await runPost(inputs({ 'build-args': 'VERSION=r6' }), env(), dead.state);
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toContain(`removed ${inFlight.container}`);
    expect((await appContainers(host, app)).map((container) => container.name)).not.toContain(
      inFlight.container,
    );
    expect(history().outcome[inFlight.release]).toBe('cancelled');
    const next = await deploy('r7');
    const report = await load.stop();
    expect(next.code, next.stdout).toBe(0);
    expect(next.outputs['previous-release']).toBe(before);
    expect(report.failed, report.failures.join('\n')).toBe(0);
  });

  it('a deploy killed without its post step is recorded as cancelled by the next one', async () => {
    const killed = startAction(
      inputs({ 'build-args': 'VERSION=r8', env: 'BOOT_DELAY=60', 'ready-timeout': '120' }),
      env(),
      {},
      { post: false }, // the runner died with the step: no post step
    );
    await killed.waitFor(/::group::Checks/);
    killed.child.kill('SIGKILL');
    const dead = await killed.done;
    const inFlight = JSON.parse(dead.state['baton-in-flight'] as string) as { release: string };
    const next = await deploy('r9');
    expect(next.code, next.stdout).toBe(0);
    expect(next.stdout).toContain(`release ${inFlight.release} on`);
    expect(history().outcome[inFlight.release]).toBe('cancelled');
  });

  it('SIGTERM during checks removes the new container, releases the lock, and records it cancelled', async () => {
    const current = history().current;
    const run = startAction(
      inputs({ 'build-args': 'VERSION=r10', env: 'BOOT_DELAY=60', 'ready-timeout': '120' }),
      env(),
    );
    await run.waitFor(/::group::Checks/);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::warning::SIGTERM: the deploy was cancelled before the hand-over');
    const cancelled = JSON.parse(result.state['baton-in-flight'] as string) as {
      release: string;
      container: string;
    };
    expect((await appContainers(host, app)).map((container) => container.name)).not.toContain(
      cancelled.container,
    );
    expect(history()).toMatchObject({ current, outcome: { [cancelled.release]: 'cancelled' } });
    const next = await deploy('r11', { 'lock-timeout': '5' });
    expect(next.code, next.stdout).toBe(0);
    expect(next.stdout).not.toContain('waiting for the deploy lock');
  });

  it('destroy refuses without confirm, then leaves nothing of the app', async () => {
    const refused = await command('destroy');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `::error::input "confirm": destroy removes ${app} from every host: set confirm: ${app}`,
    );
    const run = await command('destroy', { confirm: app });
    expect(run.code, run.stdout).toBe(0);
    expect(await appContainers(host, app)).toEqual([]);
    expect(existsSync(siteFile)).toBe(false);
    expect(existsSync(appDir)).toBe(false);
    const load = startLoad({ ...nginx, maxRequests: 3 });
    const report = await load.stop();
    expect(report.failures.join('\n')).toMatch(/HTTP 404/);
  });
});
