import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payload, writePayload } from '../../e2e/support/github-payloads';
import { API_VERSION, descriptionStats, type StandIn, startStandIn } from '../../e2e/support/github-standin';

const TOKEN = 'ghs_standInToken123';
const REPO = '/repos/acme/web';
const SHA = '0123456789abcdef0123456789abcdef01234567';

let gh: StandIn;

beforeEach(async () => {
  gh = await startStandIn({ token: TOKEN });
});

afterEach(async () => {
  // Whatever a test did, the stand-in's own answers must match the description.
  expect(gh.responseViolations).toEqual([]);
  await gh.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(`${gh.url}${path}`, {
    method,
    headers: {
      authorization: `token ${TOKEN}`,
      accept: 'application/vnd.github+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const deploymentBody = {
  ref: SHA,
  environment: 'production',
  transient_environment: false,
  production_environment: true,
  required_contexts: [],
  auto_merge: false,
  description: 'Baton: web',
};

describe('GitHub stand-in', () => {
  it('accepts and records a valid create-deployment request', async () => {
    const { status, json } = await call('POST', `${REPO}/deployments`, deploymentBody, {
      'x-github-api-version': API_VERSION,
    });
    expect(status).toBe(201);
    expect(json).toMatchObject({ ref: SHA, sha: SHA, environment: 'production', task: 'deploy' });
    expect(gh.violations).toEqual([]);
    expect(gh.deployments).toEqual([json]);
    expect(gh.requests).toMatchObject([
      { method: 'POST', path: `${REPO}/deployments`, operationId: 'repos/create-deployment', status: 201 },
    ]);
    expect(gh.requests[0]?.body).toEqual(deploymentBody);
    expect(gh.requests[0]?.headers['x-github-api-version']).toBe(API_VERSION);
    const stats = descriptionStats();
    expect(stats?.openapi).toMatch(/^3\.0\./);
  });

  it('rejects a body of the wrong type, with ajv’s reason', async () => {
    const { status, json } = await call('POST', `${REPO}/deployments`, {
      ref: 'main',
      required_contexts: 'x',
    });
    expect(status).toBe(422);
    expect((json as { message: string }).message).toContain('body.required_contexts must be array');
    expect(gh.violations).toEqual([
      `POST ${REPO}/deployments: body does not match the description: body.required_contexts must be array, got "x"`,
    ]);
    expect(gh.deployments).toEqual([]);
  });

  it('rejects a deployment status with a state GitHub does not have, listing the ones it has', async () => {
    const created = await call('POST', `${REPO}/deployments`, deploymentBody);
    const id = (created.json as { id: number }).id;
    const { status } = await call('POST', `${REPO}/deployments/${id}/statuses`, { state: 'deploying' });
    expect(status).toBe(422);
    expect(gh.violations).toHaveLength(1);
    expect(gh.violations[0]).toMatch(/body\.state must be equal to one of the allowed values/);
    expect(gh.violations[0]).toContain('"in_progress"');
    expect(gh.violations[0]).toContain('got "deploying"');
    expect(gh.statuses.get(id)).toEqual([]);
  });

  it('flags body properties the operation does not have', async () => {
    const created = await call('POST', `${REPO}/deployments`, deploymentBody);
    const id = (created.json as { id: number }).id;
    const { status } = await call('POST', `${REPO}/deployments/${id}/statuses`, {
      state: 'success',
      enviroment_url: 'http://web.example.com',
    });
    expect(status).toBe(201);
    expect(gh.violations).toEqual([
      expect.stringMatching(/body\.enviroment_url is not a parameter of repos\/create-deployment-status/),
    ]);
  });

  it('reads OpenAPI 3.0 `nullable` as JSON Schema null', async () => {
    const { status, json } = await call('POST', `${REPO}/deployments`, { ref: 'main', description: null });
    expect(status).toBe(201);
    expect(json).toMatchObject({ ref: 'main', sha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect((await call('POST', `${REPO}/deployments`, { ref: null })).status).toBe(422);
    expect(gh.violations).toEqual([
      `POST ${REPO}/deployments: body does not match the description: body.ref must be string, got null`,
    ]);
  });

  it('checks its own answers against the description too', async () => {
    const { json } = await call('POST', `${REPO}/deployments`, deploymentBody);
    (gh.deployments[0] as Record<string, unknown>).sha = 42;
    await call('GET', `${REPO}/deployments/${(json as { id: number }).id}`);
    expect(gh.responseViolations).toEqual([
      expect.stringMatching(
        /^GET \/repos\/acme\/web\/deployments\/\d+ -> 200: response\.sha must be string, got 42$/,
      ),
    ]);
    gh.responseViolations.length = 0;
  });

  it('404s an unknown route and a method the path does not have', async () => {
    expect((await call('GET', `${REPO}/deployments/1/nonsense`)).status).toBe(404);
    expect((await call('PUT', `${REPO}/deployments`, {})).status).toBe(404);
    expect(gh.violations).toEqual([
      `GET ${REPO}/deployments/1/nonsense: unknown route: no path in the description matches ${REPO}/deployments/1/nonsense`,
      `PUT ${REPO}/deployments: /repos/{owner}/{repo}/deployments has no PUT in the description (only GET, POST)`,
    ]);
  });

  it('answers 501 for an operation GitHub has but the stand-in does not implement', async () => {
    const { status, json } = await call('GET', REPO);
    expect(status).toBe(501);
    expect(json).toMatchObject({
      documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
    });
    expect(gh.violations).toEqual([
      `GET ${REPO}: not implemented in the stand-in: GET /repos/{owner}/{repo} (repos/get)`,
    ]);
  });

  it('checks the Authorization header', async () => {
    expect((await call('GET', `${REPO}/deployments`, undefined, { authorization: '' })).status).toBe(401);
    expect((await call('GET', `${REPO}/deployments`, undefined, { authorization: 'Basic abc' })).status).toBe(
      401,
    );
    expect(
      (await call('GET', `${REPO}/deployments`, undefined, { authorization: 'token other' })).status,
    ).toBe(401);
    expect(
      (await call('GET', `${REPO}/deployments`, undefined, { authorization: `Bearer ${TOKEN}` })).status,
    ).toBe(200);
    expect(gh.violations).toEqual([
      `GET ${REPO}/deployments: no Authorization header`,
      `GET ${REPO}/deployments: Authorization header is not "token X" or "Bearer X" (it starts with "Basic")`,
      `GET ${REPO}/deployments: Authorization header carries another token than the one the stand-in was given`,
    ]);
  });

  it('checks path and query parameters against the description', async () => {
    expect((await call('POST', `${REPO}/deployments/abc/statuses`, { state: 'success' })).status).toBe(404);
    expect((await call('GET', `${REPO}/deployments?environment=production&colour=blue`)).status).toBe(200);
    expect((await call('GET', `${REPO}/issues/7/comments?per_page=lots`)).status).toBe(422);
    expect((await call('GET', `${REPO}/pulls?state=merged`)).status).toBe(422);
    expect(gh.violations).toEqual([
      `POST ${REPO}/deployments/abc/statuses: bad path parameter: path.deployment_id must be integer, got "abc"`,
      `GET ${REPO}/deployments?environment=production&colour=blue: query parameter colour is not in the description of repos/list-deployments`,
      `GET ${REPO}/issues/7/comments?per_page=lots: bad query parameter: query.per_page must be integer, got "lots"`,
      expect.stringMatching(
        /bad query parameter: query\.state must be equal to one of the allowed values \("open", "closed", "all"\), got "merged"/,
      ),
    ]);
  });

  it('accepts X-GitHub-Api-Version 2022-11-28 only', async () => {
    expect(
      (await call('GET', `${REPO}/pulls`, undefined, { 'x-github-api-version': '2022-11-28' })).status,
    ).toBe(200);
    expect(
      (await call('GET', `${REPO}/pulls`, undefined, { 'x-github-api-version': '1999-01-01' })).status,
    ).toBe(400);
    expect(gh.violations).toEqual([
      `GET ${REPO}/pulls: X-GitHub-Api-Version 1999-01-01: the description and the stand-in are for 2022-11-28`,
    ]);
  });

  it('lists deployments newest first, filtered, and their statuses (with auto_inactive)', async () => {
    const make = async (environment: string, ref = SHA) =>
      (
        await call('POST', `${REPO}/deployments`, {
          ...deploymentBody,
          ref,
          environment,
          production_environment: false,
        })
      ).json as { id: number };
    const first = await make('staging');
    const second = await make('preview', 'feature');
    const third = await make('staging');
    await call('POST', `${REPO}/deployments/${first.id}/statuses`, { state: 'success' });
    await call('POST', `${REPO}/deployments/${third.id}/statuses`, {
      state: 'in_progress',
      log_url: 'http://log',
    });
    await call('POST', `${REPO}/deployments/${third.id}/statuses`, {
      state: 'success',
      environment_url: 'http://x',
    });

    const all = await call('GET', `${REPO}/deployments`);
    expect((all.json as Array<{ id: number }>).map((d) => d.id)).toEqual([third.id, second.id, first.id]);
    const staging = await call('GET', `${REPO}/deployments?environment=staging&sha=${SHA}`);
    expect((staging.json as Array<{ id: number }>).map((d) => d.id)).toEqual([third.id, first.id]);
    const byRef = await call('GET', `${REPO}/deployments?ref=feature`);
    expect((byRef.json as Array<{ id: number; sha: string }>).map((d) => d.id)).toEqual([second.id]);
    expect((await call('GET', `/repos/acme/other/deployments`)).json).toEqual([]);

    expect(gh.statuses.get(third.id)?.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(gh.statuses.get(first.id)?.map((s) => s.state)).toEqual(['success', 'inactive']);
    const listed = await call('GET', `${REPO}/deployments/${third.id}/statuses`);
    expect(listed.json).toMatchObject([
      { state: 'success', environment_url: 'http://x' },
      { state: 'in_progress', log_url: 'http://log', target_url: 'http://log' },
    ]);
    const one = (listed.json as Array<{ id: number }>)[0];
    expect((await call('GET', `${REPO}/deployments/${third.id}/statuses/${one?.id}`)).json).toEqual(one);
    expect((await call('GET', `${REPO}/deployments/${third.id}`)).json).toEqual(gh.deployments[2]);
    expect((await call('GET', `${REPO}/deployments/999`)).status).toBe(404);
    expect((await call('POST', `${REPO}/deployments/999/statuses`, { state: 'success' })).status).toBe(404);
    expect(gh.violations).toEqual([]);
  });

  it('paginates comments with a Link header like GitHub’s', async () => {
    for (let i = 1; i <= 35; i++) {
      expect((await call('POST', `${REPO}/issues/7/comments`, { body: `comment ${i}` })).status).toBe(201);
    }
    await call('POST', `${REPO}/issues/8/comments`, { body: 'elsewhere' });
    const first = await call('GET', `${REPO}/issues/7/comments?per_page=30`);
    expect((first.json as unknown[]).length).toBe(30);
    expect(first.headers.get('link')).toBe(
      `<${gh.url}${REPO}/issues/7/comments?per_page=30&page=2>; rel="next", ` +
        `<${gh.url}${REPO}/issues/7/comments?per_page=30&page=2>; rel="last"`,
    );
    const second = await call('GET', `${REPO}/issues/7/comments?per_page=30&page=2`);
    expect((second.json as Array<{ body: string }>).map((c) => c.body)).toEqual([
      'comment 31',
      'comment 32',
      'comment 33',
      'comment 34',
      'comment 35',
    ]);
    expect(second.headers.get('link')).toBe(
      `<${gh.url}${REPO}/issues/7/comments?per_page=30&page=1>; rel="prev", ` +
        `<${gh.url}${REPO}/issues/7/comments?per_page=30&page=1>; rel="first"`,
    );
    expect(gh.comments).toHaveLength(36);
    expect(gh.comments[0]).toMatchObject({
      issue_number: 7,
      body: 'comment 1',
      user: { login: 'github-actions[bot]' },
    });
    expect(gh.violations).toEqual([]);
  });

  it('updates and deletes comments', async () => {
    const created = (await call('POST', `${REPO}/issues/7/comments`, { body: 'one' })).json as { id: number };
    const updated = await call('PATCH', `${REPO}/issues/comments/${created.id}`, { body: 'two' });
    expect(updated).toMatchObject({ status: 200, json: { id: created.id, body: 'two' } });
    expect(gh.comments.map((c) => c.body)).toEqual(['two']);
    expect((await call('GET', `${REPO}/issues/comments/${created.id}`)).json).toMatchObject({ body: 'two' });
    expect((await call('DELETE', `${REPO}/issues/comments/${created.id}`)).status).toBe(204);
    expect(gh.comments).toEqual([]);
    expect((await call('PATCH', `${REPO}/issues/comments/${created.id}`, { body: 'x' })).status).toBe(404);
    expect((await call('PATCH', `${REPO}/issues/comments/${created.id}`, {})).status).toBe(422);
    expect(gh.violations).toEqual([
      expect.stringMatching(/body does not match the description: body must have required property 'body'/),
    ]);
  });

  it('injects failures with GitHub’s error JSON', async () => {
    gh.failNext('POST', /\/issues\/\d+\/comments$/, 500);
    gh.failNext('post', /\/deployments$/, 403, 2);
    const failed = await call('POST', `${REPO}/issues/7/comments`, { body: 'x' });
    expect(failed.status).toBe(500);
    expect(failed.json).toEqual({
      message: 'Server Error',
      documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
      status: '500',
    });
    expect((await call('POST', `${REPO}/issues/7/comments`, { body: 'x' })).status).toBe(201);
    expect((await call('POST', `${REPO}/deployments`, deploymentBody)).json).toMatchObject({
      message: 'Resource not accessible by integration',
    });
    expect((await call('POST', `${REPO}/deployments`, deploymentBody)).status).toBe(403);
    expect((await call('POST', `${REPO}/deployments`, deploymentBody)).status).toBe(201);
    expect(gh.requests.map((r) => r.status)).toEqual([500, 201, 403, 403, 201]);
    expect(gh.violations).toEqual([]);
  });

  it('serves pull requests whose state a test sets', async () => {
    const open = await call('GET', `${REPO}/pulls/12`);
    expect(open.json).toMatchObject({
      number: 12,
      state: 'open',
      merged: false,
      base: { repo: { full_name: 'acme/web' } },
      url: `${gh.url}${REPO}/pulls/12`,
    });
    gh.setPullState(12, 'closed');
    gh.setPull(13, { headRepo: 'someone/web', headRef: 'patch-1', headSha: SHA });
    expect((await call('GET', `${REPO}/pulls/12`)).json).toMatchObject({
      state: 'closed',
      closed_at: expect.any(String),
    });
    expect((await call('GET', `${REPO}/pulls/13`)).json).toMatchObject({
      head: {
        sha: SHA,
        ref: 'patch-1',
        label: 'someone:patch-1',
        repo: { full_name: 'someone/web', fork: true },
      },
    });
    const numbers = async (query: string) =>
      ((await call('GET', `${REPO}/pulls${query}`)).json as Array<{ number: number }>).map((p) => p.number);
    expect(await numbers('')).toEqual([13]);
    expect(await numbers('?state=open')).toEqual([13]);
    expect(await numbers('?state=closed')).toEqual([12]);
    expect(await numbers('?state=all&direction=asc')).toEqual([12, 13]);
    expect(await numbers('?state=all&head=someone:patch-1')).toEqual([13]);
    const listed = (await call('GET', `${REPO}/pulls`)).json as Array<Record<string, unknown>>;
    expect(listed[0]).not.toHaveProperty('mergeable_state');
    expect(gh.violations).toEqual([]);
  });

  it('takes what Octokit sends without a violation, and Octokit follows its Link headers', async () => {
    const octokit = getOctokit(TOKEN, { baseUrl: gh.url });
    const repo = { owner: 'acme', repo: 'web' };
    const { data: deployment } = await octokit.rest.repos.createDeployment({ ...repo, ...deploymentBody });
    if (!('id' in deployment)) throw new Error('expected a deployment');
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: deployment.id,
      state: 'success',
      description: 'Release 2 is live',
      log_url: 'https://github.com/acme/web/actions/runs/1',
      environment_url: 'http://web.example.com',
      environment: 'production',
      auto_inactive: true,
    });
    for (let i = 0; i < 105; i++)
      await octokit.rest.issues.createComment({ ...repo, issue_number: 3, body: `c${i}` });
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      ...repo,
      issue_number: 3,
      per_page: 100,
    });
    expect(comments.map((c) => c.body).slice(-2)).toEqual(['c103', 'c104']);
    await octokit.rest.issues.updateComment({ ...repo, comment_id: comments[0]!.id, body: 'edited' });
    const { data: pr } = await octokit.rest.pulls.get({ ...repo, pull_number: 3 });
    expect(pr.state).toBe('open');
    expect(gh.violations).toEqual([]);
    expect(gh.requests.filter((r) => r.operationId === 'issues/list-comments').map((r) => r.query)).toEqual([
      { per_page: '100' },
      { per_page: '100', page: '2' },
    ]);
    expect(gh.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`);
  });
});

describe('webhook payloads', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('are real examples, copied', () => {
    const opened = payload('pull_request', 'opened');
    expect(opened.action).toBe('opened');
    expect((opened.pull_request as { number: number }).number).toEqual(expect.any(Number));
    (opened.pull_request as { number: number }).number = -1;
    expect((payload('pull_request', 'opened').pull_request as { number: number }).number).not.toBe(-1);
    for (const action of ['synchronize', 'closed', 'reopened']) {
      expect(payload('pull_request', action).action).toBe(action);
    }
    expect(payload('push').ref).toMatch(/^refs\/heads\//);
    expect(payload('workflow_dispatch')).toHaveProperty('inputs');
    expect(payload('release', 'published')).toMatchObject({
      action: 'published',
      release: { tag_name: expect.any(String) },
    });
    expect(() => payload('pull_request', 'exploded')).toThrow(/no pull_request example with action exploded/);
  });

  it('are written with a patch deep-merged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'payloads-'));
    dirs.push(dir);
    const file = writePayload(dir, 'pull_request', 'synchronize', {
      number: 42,
      pull_request: { number: 42, head: { sha: SHA, repo: { full_name: 'someone/Hello-World' } } },
    });
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toMatchObject({
      action: 'synchronize',
      number: 42,
      pull_request: {
        number: 42,
        head: {
          sha: SHA,
          ref: expect.any(String),
          repo: { full_name: 'someone/Hello-World', name: 'Hello-World' },
        },
        base: { repo: { full_name: 'Codertocat/Hello-World' } },
      },
    });
    expect(writePayload(dir, 'push')).not.toBe(writePayload(dir, 'push'));
  });
});
