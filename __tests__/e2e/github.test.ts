import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { removeApp } from './support/docker';
import { eventEnv } from './support/github-payloads';
import { type StandIn, startStandIn } from './support/github-standin';
import { hostInputs, readTestHost } from './support/host';

const host = readTestHost();
const app = 'gh';
const TOKEN = 'ghs_baton_test_token_9f2c41';
const SECRET = 'gh-secret-value-71d0aa';
const runs: ActionRun[] = [];
let standIn: StandIn;
let commit = 0;

async function deploy(
  event: string,
  action: string | undefined,
  extra: Record<string, string> = {},
  patch = {},
) {
  commit++;
  const sha = String(commit).padStart(40, 'd');
  const run = await runAction(
    {
      ...hostInputs(host, app),
      'github-token': TOKEN,
      secrets: `API_KEY=${SECRET}`,
      'default-checks-wait': '0',
      ...extra,
    },
    {
      DOCKER_HOST: host.DOCKER_HOST,
      ...eventEnv({ api: standIn.url, event, action, patch, sha, runId: 1000 + commit }),
    },
  );
  runs.push(run);
  return run;
}

describe('reporting to GitHub (against a stand-in checked with the official OpenAPI description)', () => {
  beforeAll(async () => {
    standIn = await startStandIn({ token: TOKEN });
    await removeApp(host, app);
  });
  afterAll(async () => {
    await standIn.close();
    await removeApp(host, app);
  });

  it('a push deploy creates one deployment: in_progress, then success with the URLs', async () => {
    const run = await deploy('push', undefined);
    expect(run.code, run.stdout).toBe(0);
    expect(standIn.deployments).toHaveLength(1);
    const deployment = standIn.deployments[0] as Record<string, unknown>;
    expect(deployment).toMatchObject({ ref: '1'.padStart(40, 'd'), environment: 'production' });
    expect(run.outputs['deployment-id']).toBe(String(deployment.id));
    const statuses = standIn.statuses.get(deployment.id as number) ?? [];
    expect(statuses.map((status) => status.state)).toEqual(['in_progress', 'success']);
    expect(statuses[1]).toMatchObject({
      environment_url: `http://${app}.test`,
      log_url: 'https://github.com/acme/web/actions/runs/1001',
    });
    const body = standIn.requests.find(
      (request) => request.method === 'POST' && /\/deployments$/.test(request.path),
    )?.body;
    expect(body).toMatchObject({ required_contexts: [], auto_merge: false, production_environment: true });
    expect(standIn.comments).toHaveLength(0);
  });

  it('a pull request deployed twice keeps one sticky comment, updated in place', async () => {
    const patch = { pull_request: { number: 7, head: { sha: 'f'.repeat(40) } } };
    const first = await deploy('pull_request', 'opened', {}, patch);
    expect(first.code, first.stdout).toBe(0);
    const second = await deploy('pull_request', 'synchronize', {}, patch);
    expect(second.code, second.stdout).toBe(0);
    const comments = standIn.comments.filter((comment) => comment.issue_number === 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(second.outputs.release as string);
    expect(comments[0]?.body).toContain(`Roll back: release \`${first.outputs.release}\``);
    const prDeployment = standIn.deployments.at(-1) as Record<string, unknown>;
    expect(prDeployment.ref).toBe('f'.repeat(40));
  });

  it('a failing deploy posts failure with the reason and the container output', async () => {
    const patch = { pull_request: { number: 7, head: { sha: 'e'.repeat(40) } } };
    const run = await deploy('pull_request', 'synchronize', { env: 'HEALTH=crash' }, patch);
    expect(run.code).toBe(1);
    const deployment = standIn.deployments.at(-1) as Record<string, unknown>;
    const states = (standIn.statuses.get(deployment.id as number) ?? []).map((status) => status.state);
    expect(states).toEqual(['in_progress', 'failure']);
    const comment = standIn.comments.find((entry) => entry.issue_number === 7);
    expect(comment?.body).toContain('deploy failed');
    expect(comment?.body).toMatch(/the container (is exited|crashed and restarted|is restarting)/);
    expect(comment?.body).toContain('HEALTH=crash: exiting with 3');
    expect(run.summary).toContain('failed');
  });

  it('a 500 on the comment endpoint is retried; when it persists the deploy still succeeds, with a warning', async () => {
    standIn.failNext('POST', /\/issues\/8\/comments$/, 500, 1);
    const patch = { pull_request: { number: 8, head: { sha: 'c'.repeat(40) } } };
    const retried = await deploy('pull_request', 'opened', {}, patch);
    expect(retried.code, retried.stdout).toBe(0);
    expect(standIn.comments.filter((comment) => comment.issue_number === 8)).toHaveLength(1);
    standIn.failNext('PATCH', /\/issues\/comments\/\d+$/, 500, 10);
    const broken = await deploy('pull_request', 'synchronize', {}, patch);
    expect(broken.code, broken.stdout).toBe(0);
    expect(broken.stdout).toMatch(/::warning::Could not comment on the pull request on GitHub \(500/);
    const attempts = standIn.requests.filter((request) => request.method === 'PATCH');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
  });

  it('a 403 names the missing permission and does not fail the deploy', async () => {
    standIn.failNext('POST', /\/deployments$/, 403, 1);
    const run = await deploy('push', undefined);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      /::warning::Could not create a deployment on GitHub \(403.*permissions: deployments: write/,
    );
    const creates = standIn.requests.filter(
      (request) => request.method === 'POST' && /\/deployments$/.test(request.path),
    );
    expect(creates.at(-1)?.status).toBe(403);
  });

  it('release and workflow_dispatch events deploy and report, without a PR comment', async () => {
    const comments = standIn.comments.length;
    for (const [event, action] of [
      ['release', 'published'],
      ['workflow_dispatch', undefined],
    ] as const) {
      const before = standIn.deployments.length;
      const run = await deploy(event, action, { environment: 'staging' });
      expect(run.code, run.stdout).toBe(0);
      expect(standIn.deployments.length).toBe(before + 1);
      expect(standIn.deployments.at(-1)).toMatchObject({
        environment: 'staging',
        production_environment: false,
      });
    }
    expect(standIn.comments.length).toBe(comments);
  });

  it('the stand-in saw no request that GitHub’s description rejects, and no secret anywhere', () => {
    expect(standIn.violations).toEqual([]);
    const recorded = JSON.stringify(
      standIn.requests.map(({ headers, ...request }) => ({
        ...request,
        headers: { ...headers, authorization: '' },
      })),
    );
    for (const secret of [SECRET, host.REGISTRY_PASSWORD, TOKEN]) {
      expect(recorded).not.toContain(secret);
      for (const run of runs) expect(run.visible).not.toContain(secret);
    }
    const auth = standIn.requests.map((request) => request.headers.authorization);
    expect(auth.every((value) => value === `token ${TOKEN}` || value === `Bearer ${TOKEN}`)).toBe(true);
  });
});
