import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { appContainers, engine, removeApp } from './support/docker';
import { eventEnv } from './support/github-payloads';
import { type StandIn, startStandIn } from './support/github-standin';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';

// Pull requests are hostile input: what a fork, a branch name, a comment or an app name can make Baton do.

const host = readTestHost();
const app = 'hx';
const TOKEN = 'ghs_baton_hostile_token_4e9b';
const PAT = 'github_pat_baton_hostile_user_81c2';
const PROD_SECRET = 'hx-prod-secret-5a1f';
const LEGACY = `${app}-pr-2`;
const SHOP_CONF = `${host.NGINX_CONF_DIR}/shop-hx.conf`;
const runs: ActionRun[] = [];
let standIn: StandIn;
let runId = 0;

async function run(
  event: string,
  action: string | undefined,
  patch: Record<string, unknown>,
  extra: Record<string, string> = {},
  api = standIn,
  token = TOKEN,
): Promise<ActionRun> {
  const sha = String(++runId).padStart(40, '9');
  const result = await runAction(
    {
      ...hostInputs(host, app),
      'github-token': token,
      secrets: `API_KEY=${PROD_SECRET}`,
      'default-checks-wait': '0',
      ...extra,
    },
    {
      DOCKER_HOST: host.DOCKER_HOST,
      ...eventEnv({ api: api.url, event: payloadOf(event), action, patch, sha, runId: 3000 + runId }),
      GITHUB_EVENT_NAME: event,
    },
  );
  runs.push(result);
  return result;
}

function pullRequest(
  action: string,
  pr: { number: number; branch?: string; fork?: boolean },
  extra: Record<string, string> = {},
  api = standIn,
  token = TOKEN,
) {
  const patch = {
    number: pr.number,
    pull_request: {
      number: pr.number,
      head: {
        sha: String(pr.number).padStart(40, 'a'),
        ref: pr.branch ?? `feature-${pr.number}`,
        repo: { full_name: pr.fork ? 'mallory/web' : 'acme/web' },
      },
      base: { repo: { full_name: 'acme/web' } },
    },
  };
  return run('pull_request_target', action, patch, extra, api, token);
}

/** pull_request_target carries the pull_request payload (the examples have it under that name only). */
function payloadOf(event: string): string {
  return event === 'pull_request_target' ? 'pull_request' : event;
}

async function get(hostName: string): Promise<string> {
  const load = startLoad({ port: Number(host.NGINX_PORT), host: hostName, concurrency: 1, maxRequests: 1 });
  const report = await load.stop();
  return report.failed ? (report.failures[0] ?? 'failed') : (report.bodies[0]?.[0] ?? '');
}

const PREVIEWS = { 'preview-domain': `{branch}.${app}.test` };
const previewApps = [3, 4, 5, 6].map((n) => `${app}-pr-${n}`);

describe('hostile pull requests (loopback host, real payloads, GitHub stand-in)', () => {
  beforeAll(async () => {
    standIn = await startStandIn({ token: TOKEN });
    for (const name of [app, LEGACY, ...previewApps]) await removeApp(host, name);
    rmSync(SHOP_CONF, { force: true });
    const production = await run('push', undefined, {}, { 'build-args': 'VERSION=prod' });
    expect(production.code, production.stdout).toBe(0);
  });
  afterAll(async () => {
    await standIn.close();
    for (const name of [app, LEGACY, ...previewApps]) await removeApp(host, name);
    rmSync(SHOP_CONF, { force: true });
  });

  it('a fork PR with previews off deploys nothing (it would be production, with its secrets)', async () => {
    const before = standIn.deployments.length;
    const containers = await appContainers(host, app);
    const result = await pullRequest('opened', { number: 9, fork: true }, { 'build-args': 'VERSION=evil' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /input "preview-allow-forks": pull request #9 comes from a fork \(mallory\/web\)/,
    );
    expect(result.stdout).not.toContain('::group::Build');
    expect(standIn.deployments.length).toBe(before);
    expect(await appContainers(host, app)).toEqual(containers);
    expect(await get(`${app}.test`)).toBe('version prod');
  });

  it('secrets reach the container verbatim (trailing spaces too), and even a 1-character one is masked', async () => {
    const result = await run(
      'push',
      undefined,
      {},
      { secrets: `ONE=q\nAPI_KEY=${PROD_SECRET}\nPAD=padded  ` },
    );
    expect(result.code, result.stdout).toBe(0);
    const running = (await appContainers(host, app)).filter((container) => container.state === 'running');
    const current = running.find((container) => container.labels['baton.release'] === result.outputs.release);
    const env = (
      await engine(host)
        .getContainer(current?.name ?? '')
        .inspect()
    ).Config.Env;
    expect(env).toContain('PAD=padded  ');
    expect(env).toContain('ONE=q');
    const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toContain('::add-mask::q');
    expect(masks).toContain('::add-mask::padded  ');
  });

  it('a preview never takes over a host name another site on the host serves', async () => {
    writeFileSync(
      SHOP_CONF,
      `server {\n  listen 127.0.0.1:${host.NGINX_PORT};\n  server_name shop.${app}.test;\n  return 200 "shop\\n";\n}\n`,
    );
    execFileSync('sh', ['-c', host.NGINX_RELOAD_COMMAND]);
    // nginx -s reload only signals: old workers answer for a moment longer. Wait for 10 answers in a row.
    for (let attempt = 0, streak = 0; attempt < 300 && streak < 10; attempt++) {
      streak = (await get(`shop.${app}.test`)) === 'shop' ? streak + 1 : 0;
      if (streak === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await get(`shop.${app}.test`)).toBe('shop');
    const result = await pullRequest('opened', { number: 3, branch: 'shop' }, PREVIEWS);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Capacity failed`);
    expect(result.stdout).toContain(
      `the preview host name shop.${app}.test is already served by ${SHOP_CONF}`,
    );
    expect(result.stdout).not.toContain('::group::Build');
    expect(await appContainers(host, `${app}-pr-3`)).toEqual([]);
    expect(await get(`shop.${app}.test`)).toBe('shop');
  });

  it('an app called hx-pr-2 is no preview of hx: prune-previews and a closed PR #2 leave it alone', async () => {
    const [production] = await appContainers(host, app);
    const image = (
      await engine(host)
        .getContainer(production?.name ?? '')
        .inspect()
    ).Config.Image;
    await engine(host).createContainer({
      name: `${LEGACY}-20240101-000000-legacy`,
      Image: image,
      Labels: { 'baton.app': LEGACY, 'baton.release': '20240101-000000-legacy' },
    });
    const stateDir = `${host.BATON_TEST_ROOT}/state/${LEGACY}`;
    mkdirSync(`${stateDir}/releases`, { recursive: true });
    writeFileSync(`${stateDir}/current`, '20240101-000000-legacy\n');
    standIn.setPullState(2, 'closed');

    const pruned = await run('workflow_dispatch', undefined, {}, { command: 'prune-previews', ...PREVIEWS });
    expect(pruned.code, pruned.stdout).toBe(0);
    expect(await appContainers(host, LEGACY)).toHaveLength(1);
    expect(existsSync(`${stateDir}/current`)).toBe(true);

    const closed = await pullRequest('closed', { number: 2 }, PREVIEWS);
    expect(closed.code).toBe(1);
    expect(closed.stdout).toContain(`${LEGACY} is an app of its own here, not a preview of ${app}`);
    expect(await appContainers(host, LEGACY)).toHaveLength(1);
    expect(existsSync(`${stateDir}/current`)).toBe(true);
  });

  it('the sticky comment is the one GITHUB_TOKEN wrote: a planted marker is never edited', async () => {
    const planted = `<!-- baton:sticky-comment app=${app}-pr-4 -->\nmallory was here: http://evil.example`;
    standIn.addComment(4, planted, 'mallory');
    for (const action of ['opened', 'synchronize']) {
      const result = await pullRequest(action, { number: 4 }, PREVIEWS);
      expect(result.code, result.stdout).toBe(0);
    }
    const comments = standIn.comments.filter((comment) => comment.issue_number === 4);
    expect(comments.map((comment) => comment.user.login)).toEqual(['mallory', 'github-actions[bot]']);
    expect(comments[0]?.body).toBe(planted);
    expect(comments[1]?.body).toContain(`http://feature-4.${app}.test`);
  });

  it('with a personal token the comment is found by that user (GET /user), not by the marker alone', async () => {
    const personal = await startStandIn({ token: PAT, user: 'acme-deployer' });
    try {
      const marker = `<!-- baton:sticky-comment app=${app}-pr-5 -->`;
      personal.addComment(5, `${marker}\nplanted`, 'mallory');
      personal.addComment(5, `${marker}\nBaton's earlier comment`, 'acme-deployer');
      const result = await pullRequest('opened', { number: 5 }, PREVIEWS, personal, PAT);
      expect(result.code, result.stdout).toBe(0);
      const comments = personal.comments.filter((comment) => comment.issue_number === 5);
      expect(comments.map((comment) => comment.user.login)).toEqual(['mallory', 'acme-deployer']);
      expect(comments[0]?.body).toBe(`${marker}\nplanted`);
      expect(comments[1]?.body).toContain(`http://feature-5.${app}.test`);
      expect(personal.violations).toEqual([]);
      expect(personal.responseViolations).toEqual([]);
    } finally {
      await personal.close();
    }
  });

  it('sent GitHub only requests its OpenAPI description allows, and leaked no secret', () => {
    expect(standIn.violations).toEqual([]);
    expect(standIn.responseViolations).toEqual([]);
    for (const result of runs) {
      for (const secret of [TOKEN, PAT, PROD_SECRET]) expect(result.visible).not.toContain(secret);
    }
  });
});
