import { existsSync, rmSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';

const host = readTestHost();
const app = 'zdt';
const SECRET = 'zdt-secret-value-4f9c1e';
const sha = (digit: string) => digit.repeat(40);

function deployVersion(
  version: string,
  digit: string,
  extra: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction(
    {
      ...hostInputs(host, app),
      'build-args': `VERSION=${version}`,
      secrets: `API_TOKEN=${SECRET}`,
      ...extra,
    },
    { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: sha(digit) },
  );
}

async function waitForContainers(count: number) {
  for (let i = 0; i < 50; i++) {
    const running = (await appContainers(host, app)).filter((container) => container.state === 'running');
    if (running.length === count) return running;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return (await appContainers(host, app)).filter((container) => container.state === 'running');
}

describe('zero-downtime deploy to the loopback host', () => {
  const runs: ActionRun[] = [];
  beforeAll(async () => {
    await removeApp(host, app);
    rmSync(`${host.NGINX_CONF_DIR}/baton-${app}.conf`, { force: true });
  });

  it('deploys v1: the app serves through nginx, outputs are set', async () => {
    const run = await deployVersion('v1', '1');
    runs.push(run);
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.url).toBe(`http://${app}.test`);
    expect(run.outputs.image).toMatch(new RegExp(`^${host.REGISTRY}/${app}@sha256:[0-9a-f]{64}$`));
    expect(run.outputs.release).toMatch(/^\d{8}-\d{6}-1111111$/);
    const load = startLoad({ port: Number(host.NGINX_PORT), host: `${app}.test`, maxRequests: 20 });
    const report = await load.stop();
    expect(report.failed).toBe(0);
    expect(report.bodies.map(([body]) => body)).toEqual(['version v1']);
    for (const phase of ['Connect', 'Build', 'Pull', 'Start', 'Checks', 'Hand-over', 'Retire']) {
      expect(run.stdout).toContain(`::group::${phase}`);
    }
  });

  it('deploys v2 under load with no failed request, and the content switches from v1 to v2', async () => {
    const load = startLoad({
      port: Number(host.NGINX_PORT),
      host: `${app}.test`,
      concurrency: 4,
      maxMs: 90_000,
      maxRequests: 200_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const run = await deployVersion('v2', '2');
    console.log(
      run.stdout
        .split('\n')
        .filter((line) => line.includes(' done in '))
        .join('; '),
    );
    runs.push(run);
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // past retire-after: the old container stops
    const report = await load.stop();
    console.log(`v1→v2 under load: ${JSON.stringify({ ...report, failures: report.failures.slice(0, 3) })}`);
    expect(run.code, run.stdout).toBe(0);
    expect(report.failed, report.failures.join('\n')).toBe(0);
    expect(report.sent).toBeGreaterThan(100);
    expect(report.bodies[0]?.[0]).toBe('version v1');
    expect(report.bodies.at(-1)?.[0]).toBe('version v2');
    const running = await waitForContainers(1);
    expect(running.map((container) => container.labels['baton.commit'])).toEqual([sha('2')]);
  });

  it('a v3 that never becomes ready leaves v2 serving every request and no v3 container', async () => {
    const load = startLoad({
      port: Number(host.NGINX_PORT),
      host: `${app}.test`,
      concurrency: 4,
      maxMs: 90_000,
    });
    const run = await deployVersion('v3', '3', { env: 'HEALTH=never', 'ready-timeout': '4' });
    runs.push(run);
    const report = await load.stop();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Checks failed: .*check ready \(input ready-path\) failed on attempt \d+: .*\(gave up: the ready-timeout of 4s ran out[;)]/,
    );
    expect(run.stdout).toContain('app v3 booting');
    expect(report.failed, report.failures.join('\n')).toBe(0);
    expect(report.bodies.map(([body]) => body)).toEqual(['version v2']);
    const containers = await appContainers(host, app);
    expect(containers.map((container) => container.labels['baton.commit'])).not.toContain(sha('3'));
    const running = containers.filter((container) => container.state === 'running');
    expect(running.map((container) => container.labels['baton.commit'])).toEqual([sha('2')]);
    expect(existsSync(`${host.BATON_TEST_ROOT}/state/${app}`)).toBe(true);
  });

  it('never shows a secret in any output', () => {
    expect(runs).toHaveLength(3);
    for (const run of runs) {
      for (const secret of [SECRET, host.REGISTRY_PASSWORD]) expect(run.visible).not.toContain(secret);
      expect(run.visible).not.toContain('PRIVATE KEY');
    }
  });
});
