import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';

const host = readTestHost();
const app = 'ddl';
let commit = 0;

function deploy(version: string, inputs: Record<string, string>, files: Record<string, string> = {}) {
  commit++;
  const sha = String(commit).padStart(40, 'd');
  const run = runAction(
    {
      ...hostInputs(host, app),
      'build-args': `VERSION=${version}`,
      ...inputs,
    },
    { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: sha },
    files,
  );
  return run.then((result) => ({ ...result, sha }));
}

/** Commits of the app's containers that still run. */
async function running(): Promise<(string | undefined)[]> {
  const containers = await appContainers(host, app);
  return containers
    .filter((container) => container.state === 'running')
    .map((container) => container.labels['baton.commit']);
}

// An app that takes every request and never answers (HEALTH=hang): only a deadline ends a probe.
describe('check deadlines against an app that never answers', () => {
  let serving = '';
  beforeAll(async () => {
    await removeApp(host, app);
    const first = await deploy('v1', { 'default-checks-wait': '0' });
    expect(first.code, first.stdout).toBe(0);
    serving = first.sha;
  });
  afterAll(async () => {
    await removeApp(host, app);
  });

  it('ends at the ready-timeout by aborting the probe in flight, and keeps the old release', async () => {
    // ready-timeout (3 s) is shorter than one request's timeout (5 s): the deadline, not the request, ends it.
    const run = await deploy('v2', { env: 'HEALTH=hang', 'ready-timeout': '3', 'default-checks-wait': '0' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Checks failed: .*check ready \(input ready-path\) failed on attempt \d+: .*\(gave up: the ready-timeout of 3s ran out; the probe in flight was aborted\)/,
    );
    expect(run.stdout).toContain('app v2 listening on 8080 (HEALTH=hang: no request is ever answered)');
    expect(await running()).toEqual([serving]);
  });

  it("dokku timing: each of ATTEMPTS requests is aborted at TIMEOUT, as curl's --max-time", async () => {
    const checks = 'WAIT=1\nTIMEOUT=1\nATTEMPTS=2\n/\n';
    const run = await deploy(
      'v3',
      { checks: 'CHECKS', 'checks-timing': 'dokku', env: 'HEALTH=hang' },
      { CHECKS: checks },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Check attempt 1/2 failed.');
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Checks failed: .*check check-1 \(CHECKS:4\) failed on attempt 2\/2: no answer within 1000 ms/,
    );
    expect(await running()).toEqual([serving]);
  });
});
