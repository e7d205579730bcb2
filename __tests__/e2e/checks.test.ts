import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';
import { listeningAt, waitForBody } from './support/probe';

const host = readTestHost();
const app = 'chk';
let commit = 0;

function deploy(version: string, inputs: Record<string, string>, files: Record<string, string> = {}) {
  commit++;
  return runAction(
    {
      ...hostInputs(host, app),
      'build-args': `VERSION=${version}`,
      ...inputs,
    },
    { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: String(commit).padStart(40, 'c') },
    files,
  );
}

/** Lines of the log without the runner's ::command:: lines, in order. */
function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
}

describe('Dokku-compatible checks against the loopback host', () => {
  beforeAll(async () => {
    await removeApp(host, app);
    const first = await deploy('v1', { 'default-checks-wait': '0' });
    expect(first.code, first.stdout).toBe(0);
  });
  afterAll(async () => {
    await removeApp(host, app);
  });

  it('passes an app that is not ready at first after failed attempts, as Dokku would, without waiting WAIT each time', async () => {
    const checks = 'WAIT=2\nATTEMPTS=5\nTIMEOUT=3\n\n/  version v2\n';
    // Not ready for its first 3 requests, whatever the machine's speed (a boot delay may be over by the first).
    const run = await deploy('v2', { checks: 'CHECKS', env: 'REFUSE_FIRST=3' }, { CHECKS: checks });
    expect(run.code, run.stdout).toBe(0);
    const log = run.stdout;
    expect(log).toContain('-----> Running 1 startup check(s) from CHECKS (timing: fast)');
    expect(log).toContain('check-1 (CHECKS:5) expects: http://localhost/ => "version v2"');
    expect(log).toMatch(/ ! {5}Attempt [1-5]\/5: connection closed without an answer/);
    expect(log).toMatch(/✓ check-1 passed on attempt [1-5]\/5 \([\d.]+s\): HTTP 200 "version v2\\n"/);
    expect(log).toContain('All checks successful!');
    // Fast timing polls: Dokku's "Waiting for WAIT seconds" before each attempt never happens.
    expect(log).not.toContain('Waiting for');
  });

  it('fails a page without the expected content, shows the container output, and keeps serving the old release', async () => {
    const load = startLoad({ port: Number(host.NGINX_PORT), host: `${app}.test`, maxMs: 60_000 });
    const checks = 'WAIT=0\nATTEMPTS=2\nTIMEOUT=2\n/  Welcome aboard\n';
    const run = await deploy('v3', { checks: 'CHECKS' }, { CHECKS: checks });
    const report = await load.stop();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Checks failed: .*check check-1 \(CHECKS:4\) failed on attempt 2\/2: HTTP 200 "version v3\\n": expected to but did not find "Welcome aboard"/,
    );
    expect(run.stdout).toMatch(/::group::Output of chk-\S+ \(last 100 lines\)\napp v3 booting/);
    expect(report.failed, report.failures.join('\n')).toBe(0);
    expect(report.bodies.map(([body]) => body)).toEqual(['version v2']);
    const left = await appContainers(host, app);
    expect(
      left.map((container) => container.labels['baton.commit']?.startsWith('c') && container.name),
    ).not.toContain(expect.stringContaining('ccccccc3'));
  });

  it('sends the hostname of an absolute-URL check as the Host header', async () => {
    const checks =
      'WAIT=0\n//admin.example.test/cgi-bin/host  host admin.example.test\nhttp://api.example.test/cgi-bin/host host api.example.test\n';
    const run = await deploy('v4', { checks: 'CHECKS' }, { CHECKS: checks });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('✓ check-1 passed');
    expect(run.stdout).toContain('HTTP 200 "host admin.example.test\\n"');
    expect(run.stdout).toContain('HTTP 200 "host api.example.test\\n"');
  });

  it('runs a command check inside the new container (app.json)', async () => {
    const appJson = {
      healthchecks: {
        web: [
          {
            type: 'startup',
            name: 'inside',
            command: ['/bin/sh', '-c', 'echo "in $VERSION at $(cat /www/index.html)"'],
          },
          { type: 'startup', name: 'web', path: '/up', content: 'ok', attempts: 5, wait: 1 },
          { type: 'liveness', name: 'alive', path: '/' },
        ],
      },
    };
    const run = await deploy('v5', {}, {});
    expect(run.code).toBe(0);
    const withJson = await deploy('v6', { checks: 'app.json' }, { 'app.json': JSON.stringify(appJson) });
    expect(withJson.code, withJson.stdout).toBe(0);
    expect(withJson.stdout).toContain('-----> Running 2 startup check(s) from app.json');
    expect(withJson.stdout).toContain('✓ inside passed on attempt 1/3');
    expect(withJson.stdout).toContain('exit 0 "in v6 at version v6"');
    expect(withJson.stdout).toContain('not run at deploy: liveness check alive');
    expect(withJson.summary).toContain('| inside | healthchecks.web[0] |');
  });

  it('fails at once when the container crashes during checks, without waiting out the budget', async () => {
    const checks = 'WAIT=5\nATTEMPTS=5\nTIMEOUT=30\n/\n';
    const run = await deploy(
      'v7',
      { checks: 'CHECKS', env: 'HEALTH=crash\nBOOT_DELAY=1' },
      { CHECKS: checks },
    );
    expect(run.code).toBe(1);
    // The verdict is the crash, found while Dokku's 175 s budget still ran: not the budget running out.
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::(Start|Checks) failed: .*the container (is exited|crashed and restarted|is restarting)/,
    );
    expect(run.stdout).not.toContain('ran out');
    expect(run.stdout).toContain('app v7 HEALTH=crash: exiting with 3');
  });

  it('reproduces Dokku timing in strict mode: WAIT before every attempt', async () => {
    const checks = 'WAIT=1\nATTEMPTS=3\nTIMEOUT=2\n/  version v8\n';
    const run = await deploy('v8', { checks: 'CHECKS', 'checks-timing': 'dokku' }, { CHECKS: checks });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('Attempt 1/3. Waiting for 1 seconds ...');
    expect(run.stdout).toMatch(/✓ check-1 passed on attempt [1-3]\/3 \([\d.]+s\)/);
  });

  it('skip-checks moves traffic without checks, with a warning in the log and the summary', async () => {
    const run = await deploy('v9', { 'skip-checks': 'true' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('::warning::skip-checks is set');
    expect(run.summary).toContain('skip-checks is set');
  });

  it('hands traffic over only after the checks pass, and measures ready → traffic', async () => {
    const nginx = { port: Number(host.NGINX_PORT), host: `${app}.test` };
    const firstServed = waitForBody(nginx, 'version v10');
    const run = await deploy(
      'v10',
      { checks: 'CHECKS', env: 'BOOT_DELAY=2' },
      { CHECKS: 'WAIT=5\n/  version v10\n' },
    );
    expect(run.code, run.stdout).toBe(0);
    const readyAt = await listeningAt(host, app, 'VERSION=v10');
    const servedAt = await firstServed;
    const log = lines(run.stdout);
    const passed = log.findIndex((line) => line.startsWith('All checks successful!'));
    const handover = log.indexOf('::group::Hand-over');
    expect(passed).toBeGreaterThan(-1);
    expect(handover).toBeGreaterThan(passed);
    expect(servedAt).toBeGreaterThanOrEqual(readyAt);
    console.log(
      `ready → traffic: ${servedAt - readyAt} ms (app said it listens at ${readyAt}, first v10 through nginx at ${servedAt})`,
    );
  });
});
