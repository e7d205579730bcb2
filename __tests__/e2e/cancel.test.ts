import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction, type StartedAction, startAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost, releaseHistory } from './support/host';
import { type LoadReport, startLoad } from './support/load';
import { liveRelease as routedRelease } from './support/nginx';
import { getBody } from './support/probe';

// Cancellation at the worst moment: while nginx is being pointed at the new container. The reload
// command is made slow on purpose (a script that sleeps, then reloads), so that a signal sent when the
// log shows the hand-over lands while the swap runs.

const host = readTestHost();
const app = 'cxl';
const appDir = `${host.BATON_TEST_ROOT}/state/${app}`;
const nginx = { port: Number(host.NGINX_PORT), host: `${app}.test` };
const slowReload = `${host.BATON_TEST_ROOT}/cxl-slow-reload.sh`;
let commit = 0;

// These tests stop a deploy inside the reload window (a slow reload command), so they use the reload
// hand-over, and clients that open a new connection per request: on nginx < 1.27.4 a reload can drop a
// request on an idle keep-alive connection (the reason the reload-free hand-over exists; handover.test.ts).
function inputs(extra: Record<string, string> = {}) {
  return { ...hostInputs(host, app), 'retire-after': '1', 'nginx-handover': 'reload', ...extra };
}

function slow(version: string, extra: Record<string, string> = {}) {
  return inputs({ 'build-args': `VERSION=${version}`, 'nginx-reload-command': slowReload, ...extra });
}

function env() {
  commit++;
  return {
    DOCKER_HOST: host.DOCKER_HOST,
    GITHUB_SHA: String(commit).padStart(40, 'c'),
    GITHUB_RUN_ID: String(commit),
  };
}

const history = () => releaseHistory(appDir);

/** The release nginx routes to. */
const liveRelease = () => routedRelease(host, app);

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 6000; tries++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function running(): Promise<string[]> {
  return (await appContainers(host, app))
    .filter((container) => container.state === 'running')
    .map((container) => container.name);
}

function inFlight(run: ActionRun): { release: string; container: string } {
  return JSON.parse(run.state['baton-in-flight'] as string) as { release: string; container: string };
}

/** SIGKILL once the live nginx file changes: the swap has moved the new one in, the reload sleeps. */
async function killDuringSwap(started: StartedAction): Promise<ActionRun> {
  const before = liveRelease();
  await started.waitFor(/::group::Hand-over/);
  await until('the new site file is live', () => liveRelease() !== before);
  started.child.kill('SIGKILL');
  const dead = await started.done;
  expect(dead.signal).toBe('SIGKILL');
  return dead;
}

function expectNoFailures(report: LoadReport) {
  const name = expect.getState().currentTestName ?? '';
  console.log(`${name}: ${report.ok} requests ok, ${report.failed} failed (strict)`);
  expect(report.failed, report.failures.join('\n')).toBe(0);
  expect(report.ok).toBeGreaterThan(0);
}

describe('cancellation during the hand-over, and what a dead deploy leaves', () => {
  beforeAll(async () => {
    await removeApp(host, app);
    writeFileSync(slowReload, `#!/bin/sh\nsleep 2\nexec ${host.NGINX_RELOAD_COMMAND}\n`, { mode: 0o755 });
    const first = await runAction(inputs({ 'build-args': 'VERSION=c1' }), env());
    expect(first.code, first.stdout).toBe(0);
  });
  afterAll(async () => {
    await removeApp(host, app);
  });

  it('SIGINT (then SIGTERM) during the hand-over finishes the deploy: no failed request', async () => {
    const load = startLoad({
      ...nginx,
      connection: 'new',
      concurrency: 2,
      maxMs: 120_000,
      maxRequests: 200_000,
    });
    const started = startAction(slow('c2'), env());
    await started.waitFor(/::group::Hand-over/);
    started.child.kill('SIGINT');
    await started.waitFor(/::warning::SIGINT/);
    started.child.kill('SIGTERM');
    const run = await started.done;
    const report = await load.stop();
    expectNoFailures(report);
    expect((await getBody(nginx))?.trim()).toBe('version c2');
    expect(run.code, run.stdout).toBe(0);
    const release = run.outputs.release as string;
    expect(history()).toMatchObject({ current: release, outcome: { [release]: 'done' } });
    expect(await running()).toContain(`${app}-${release}`);
    expect(run.stdout).toContain(
      '::warning::SIGINT: traffic is moving to the new release; finishing the deploy',
    );
  });

  it('SIGINT during the hand-over of a rollback finishes the rollback: no failed request', async () => {
    const deployed = await runAction(inputs({ 'build-args': 'VERSION=c2b' }), env());
    expect(deployed.code, deployed.stdout).toBe(0);
    const before = deployed.outputs.release as string;
    const load = startLoad({
      ...nginx,
      connection: 'new',
      concurrency: 2,
      maxMs: 120_000,
      maxRequests: 200_000,
    });
    const started = startAction(slow('c2', { command: 'rollback' }), env());
    await started.waitFor(/::group::Hand-over/);
    started.child.kill('SIGINT');
    const run = await started.done;
    const report = await load.stop();
    expectNoFailures(report);
    expect((await getBody(nginx))?.trim()).toMatch(/^version c[12]$/);
    expect(run.code, run.stdout).toBe(0);
    const target = run.outputs.release as string;
    expect(target).not.toBe(before);
    expect(history()).toMatchObject({ current: target, outcome: { [before]: 'rolled back' } });
    expect(await running()).toContain(`${app}-${target}`);
    expect(run.stdout).toContain(
      '::warning::SIGINT: traffic is moving to the new release; finishing the rollback',
    );
    expect(liveRelease()).toBe(target);
  });

  it('the post step after a SIGKILL during the swap keeps the container nginx routes to', async () => {
    const load = startLoad({
      ...nginx,
      connection: 'new',
      concurrency: 2,
      maxMs: 120_000,
      maxRequests: 200_000,
    });
    // The runner runs the post step (post-if: always()) after the killed main step.
    const dead = await killDuringSwap(startAction(slow('c3'), env()));
    const killed = inFlight(dead);
    const post = dead.post;
    if (!post) throw new Error('the runner ran no post step');
    expect(post.code, post.stdout).toBe(0);
    expect(await running()).toContain(killed.container);
    expect((await getBody(nginx))?.trim()).toBe('version c3');
    const report = await load.stop();
    expectNoFailures(report);
    expect(history()).toMatchObject({ current: killed.release, outcome: { [killed.release]: 'done' } });
    expect(post.stdout).toContain(`release ${killed.release} on`);
    expect(post.stdout).toContain('kept it as the current release');
  });

  it('after a SIGKILL during the checks and no post step, the next deploy removes the orphan container', async () => {
    const before = history().current;
    const killedRun = startAction(
      inputs({ 'build-args': 'VERSION=c4', env: 'BOOT_DELAY=60', 'ready-timeout': '120' }),
      env(),
      {},
      { post: false }, // the runner's VM is gone: no post step
    );
    await killedRun.waitFor(/::group::Checks/);
    killedRun.child.kill('SIGKILL');
    const killed = inFlight(await killedRun.done);
    expect(await running()).toContain(killed.container);
    const load = startLoad({
      ...nginx,
      connection: 'new',
      concurrency: 2,
      maxMs: 120_000,
      maxRequests: 200_000,
    });
    // Retiring takes longer than the deploy: the prune at its end must not be what removes the orphan.
    const next = await runAction(inputs({ 'build-args': 'VERSION=c5', 'retire-after': '60' }), env());
    const report = await load.stop();
    expect(next.code, next.stdout).toBe(0);
    expectNoFailures(report);
    expect((await appContainers(host, app)).map((container) => container.name)).not.toContain(
      killed.container,
    );
    expect(history().outcome[killed.release]).toBe('cancelled');
    expect(next.outputs['previous-release']).toBe(before);
    expect(next.stdout).toContain(`release ${killed.release} on`);
    expect(next.stdout).toContain(`removed ${killed.container}`);
  });

  it('after a SIGKILL during the swap and no post step, the next deploy takes over from the killed release', async () => {
    const load = startLoad({
      ...nginx,
      connection: 'new',
      concurrency: 2,
      maxMs: 120_000,
      maxRequests: 200_000,
    });
    const killed = inFlight(
      await killDuringSwap(startAction(slow('c6'), env(), {}, { post: false })), // no post step
    );
    const next = await runAction(inputs({ 'build-args': 'VERSION=c7' }), env());
    const report = await load.stop();
    expect(next.code, next.stdout).toBe(0);
    expectNoFailures(report);
    expect((await getBody(nginx))?.trim()).toBe('version c7');
    const { current, outcome } = history();
    expect(current).toBe(next.outputs.release);
    expect(outcome[killed.release]).toBe('done');
    expect(next.outputs['previous-release']).toBe(killed.release);
    expect(next.stdout).toContain(`release ${killed.release} on`);
  });
});
