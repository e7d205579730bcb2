import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { appContainers, engine, removeApp } from './support/docker';
import { eventEnv } from './support/github-payloads';
import { type StandIn, startStandIn } from './support/github-standin';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';

const host = readTestHost();
const app = 'pv';
const TOKEN = 'ghs_baton_preview_token_5be1';
const PROD_SECRET = 'prod-only-secret-3c8d90';
const PREVIEW_SECRET = 'preview-secret-value-77e1a2';
const PREVIEWS = [5, 6, 7, 8, 9].map((n) => `${app}-pr-${n}`);
const runs: ActionRun[] = [];
let standIn: StandIn;
let runId = 0;

interface Pr {
  number: number;
  sha: string;
  branch?: string;
  fork?: boolean;
}

/** Runs the bundle for an event, as the runner does, with production and preview settings. */
async function run(
  event: string,
  action: string | undefined,
  patch: Record<string, unknown>,
  extra: Record<string, string>,
  sha: string,
): Promise<ActionRun> {
  const result = await runAction(
    {
      ...hostInputs(host, app),
      'github-token': TOKEN,
      secrets: `API_KEY=${PROD_SECRET}`,
      'preview-domain': 'pr-{number}.{app}.test',
      'preview-secrets': `PREVIEW_TOKEN=${PREVIEW_SECRET}`,
      'preview-env': 'STAGE=preview',
      'default-checks-wait': '0',
      ...extra,
    },
    {
      DOCKER_HOST: host.DOCKER_HOST,
      ...eventEnv({ api: standIn.url, event, action, patch, sha, runId: 2000 + ++runId }),
    },
  );
  runs.push(result);
  return result;
}

function pullRequest(action: string, pr: Pr, extra: Record<string, string> = {}) {
  const headRepo = pr.fork ? 'mallory/web' : 'acme/web';
  const patch = {
    number: pr.number,
    pull_request: {
      number: pr.number,
      head: { sha: pr.sha, ref: pr.branch ?? `feature-${pr.number}`, repo: { full_name: headRepo } },
      base: { repo: { full_name: 'acme/web' } },
    },
  };
  return run('pull_request', action, patch, extra, pr.sha);
}

/** One GET through nginx with the given Host header: "STATUS body". */
async function get(hostName: string): Promise<string> {
  const load = startLoad({ port: Number(host.NGINX_PORT), host: hostName, concurrency: 1, maxRequests: 1 });
  const report = await load.stop();
  return report.failed ? (report.failures[0] ?? 'failed') : (report.bodies[0]?.[0] ?? '');
}

const deploymentsOf = (environment: string) =>
  standIn.deployments.filter((deployment) => deployment.environment === environment);
const latestState = (deployment: Record<string, unknown>) =>
  standIn.statuses.get(deployment.id as number)?.at(-1)?.state;
const commentOn = (number: number) => standIn.comments.filter((comment) => comment.issue_number === number);

describe('PR previews on the loopback host (real pull_request payloads, GitHub stand-in)', () => {
  beforeAll(async () => {
    standIn = await startStandIn({ token: TOKEN });
    for (const name of [app, ...PREVIEWS]) await removeApp(host, name);
    const production = await run('push', undefined, {}, { 'build-args': 'VERSION=prod' }, 'c'.repeat(40));
    expect(production.code, production.stdout).toBe(0);
  });
  afterAll(async () => {
    await standIn.close();
    for (const name of [app, ...PREVIEWS]) await removeApp(host, name);
  });

  it('opened: the PR serves at its own host name while production keeps serving its own', async () => {
    const result = await pullRequest(
      'opened',
      { number: 5, sha: 'a'.repeat(40), branch: 'feature/login' },
      {
        'build-args': 'VERSION=pr5-a',
      },
    );
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs.url).toBe('http://pr-5.pv.test');
    expect(await get('pr-5.pv.test')).toBe('version pr5-a');
    expect(await get('pv.test')).toBe('version prod');

    const [container] = await appContainers(host, 'pv-pr-5');
    expect(container?.labels).toMatchObject({ 'baton.preview-of': 'pv', 'baton.pr': '5' });
    const env = (
      await engine(host)
        .getContainer(container?.name ?? '')
        .inspect()
    ).Config.Env;
    expect(env).toContain(`PREVIEW_TOKEN=${PREVIEW_SECRET}`);
    expect(env).toContain('STAGE=preview');
    expect(env.join('\n')).not.toContain(PROD_SECRET);

    const [deployment] = deploymentsOf('pr-5');
    expect(deployment).toMatchObject({
      ref: 'a'.repeat(40),
      transient_environment: true,
      production_environment: false,
    });
    expect(latestState(deployment as Record<string, unknown>)).toBe('success');
    const comments = commentOn(5);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('<!-- baton:sticky-comment app=pv-pr-5 -->');
    expect(comments[0]?.body).toContain('http://pr-5.pv.test');
  });

  it('synchronize: the new head replaces the preview with no failed request; the old deployment goes inactive', async () => {
    const load = startLoad({
      port: Number(host.NGINX_PORT),
      host: 'pr-5.pv.test',
      concurrency: 4,
      maxMs: 90_000,
      maxRequests: 200_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await pullRequest(
      'synchronize',
      { number: 5, sha: 'b'.repeat(40) },
      {
        'build-args': 'VERSION=pr5-b',
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // past retire-after: the old container stops
    const report = await load.stop();
    const timings = result.stdout.split('\n').filter((line) => line.includes(' done in '));
    console.log(
      `preview sync under load: ${JSON.stringify({ ...report, failures: report.failures.slice(0, 3) })}`,
    );
    console.log(`preview sync phases: ${timings.join('; ')}`);
    expect(result.code, result.stdout).toBe(0);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.sent).toBeGreaterThan(100);
    expect(report.bodies[0]?.[0]).toBe('version pr5-a');
    expect(report.bodies.at(-1)?.[0]).toBe('version pr5-b');
    expect(new Set(report.bodies.map(([body]) => body))).toEqual(new Set(['version pr5-a', 'version pr5-b']));
    expect(await get('pv.test')).toBe('version prod');
    const states = deploymentsOf('pr-5').map((deployment) => latestState(deployment));
    expect(states).toEqual(['inactive', 'success']);
    expect(commentOn(5)).toHaveLength(1);
  });

  it('max-previews: a preview beyond the cap fails with a clear message and leaves nothing', async () => {
    const result = await pullRequest('opened', { number: 6, sha: '6'.repeat(40) }, { 'max-previews': '1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /Capacity failed on root@127\.0\.0\.1:\d+: 1 previews of pv already run here \(max-previews: 1\): #5/,
    );
    expect(await appContainers(host, 'pv-pr-6')).toEqual([]);
    expect(result.stdout).not.toContain('::group::Build');
  });

  it('max-previews never blocks an update of a live preview', async () => {
    const result = await pullRequest(
      'synchronize',
      { number: 5, sha: 'b'.repeat(40) },
      { 'build-args': 'VERSION=pr5-b', 'max-previews': '1' },
    );
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('0 other preview(s) of pv');
  });

  it('a PR from a fork is refused by default: nothing is built, deployed or reported', async () => {
    const before = standIn.deployments.length;
    const result = await pullRequest('opened', { number: 7, sha: '7'.repeat(40), fork: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('pull request #7 comes from a fork (mallory/web)');
    expect(result.stdout).toContain('preview-allow-forks');
    expect(standIn.deployments.length).toBe(before);
    expect(await appContainers(host, 'pv-pr-7')).toEqual([]);
  });

  it('closed: nothing of the preview is left on the host, its deployments are inactive, the comment says so', async () => {
    const images = async () =>
      (await engine(host).listImages())
        .flatMap((image) => image.RepoTags ?? [])
        .filter((tag) => /\/pv:(a|b)+$/.test(tag));
    expect((await images()).length).toBeGreaterThan(0);
    const result = await pullRequest('closed', { number: 5, sha: 'b'.repeat(40) });
    expect(result.code, result.stdout).toBe(0);
    expect(await appContainers(host, 'pv-pr-5')).toEqual([]);
    expect(existsSync(`${host.NGINX_CONF_DIR}/baton-pv-pr-5.conf`)).toBe(false);
    expect(existsSync(`${host.BATON_TEST_ROOT}/state/pv-pr-5`)).toBe(false);
    expect(readdirSync(`${host.BATON_TEST_ROOT}/state`).filter((name) => name.startsWith('pv-pr-5'))).toEqual(
      [],
    );
    expect(await images()).toEqual([]);
    expect(await get('pr-5.pv.test')).toMatch(/HTTP 404/);
    expect(await get('pv.test')).toBe('version prod');
    expect(deploymentsOf('pr-5').map((deployment) => latestState(deployment))).toEqual([
      'inactive',
      'inactive',
      'inactive',
    ]);
    const comments = commentOn(5);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('preview removed');
    expect(result.summary).toContain('Preview removed: pv-pr-5');
  });

  it('prune-previews removes previews whose PR is closed, and keeps open ones', async () => {
    for (const number of [8, 9]) {
      const opened = await pullRequest('opened', { number, sha: String(number).repeat(40) });
      expect(opened.code, opened.stdout).toBe(0);
    }
    standIn.setPullState(8, 'closed');
    const result = await run(
      'workflow_dispatch',
      undefined,
      {},
      { command: 'prune-previews' },
      'c'.repeat(40),
    );
    expect(result.code, result.stdout).toBe(0);
    expect(await appContainers(host, 'pv-pr-8')).toEqual([]);
    expect(existsSync(`${host.BATON_TEST_ROOT}/state/pv-pr-8`)).toBe(false);
    expect((await appContainers(host, 'pv-pr-9')).length).toBe(1);
    expect(await get('pr-9.pv.test')).toBe('version dev');
    expect(deploymentsOf('pr-8').map((deployment) => latestState(deployment))).toEqual(['inactive']);
    expect(deploymentsOf('pr-9').map((deployment) => latestState(deployment))).toEqual(['success']);
    expect(commentOn(8)[0]?.body).toContain('preview removed');
    expect(result.summary).toMatch(/#8.*removed/s);
    expect(result.summary).toMatch(/#9.*kept/s);
  });

  it('sent GitHub only requests its OpenAPI description allows, and leaked no secret', () => {
    expect(standIn.violations).toEqual([]);
    expect(standIn.responseViolations).toEqual([]);
    for (const result of runs) {
      for (const secret of [TOKEN, PROD_SECRET, PREVIEW_SECRET]) expect(result.visible).not.toContain(secret);
    }
    const sent = JSON.stringify(standIn.requests.map((request) => request.body));
    for (const secret of [PROD_SECRET, PREVIEW_SECRET]) expect(sent).not.toContain(secret);
  });
});
