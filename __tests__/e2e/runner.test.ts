import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ActionRun, runAction } from './support/action';
import { appContainers, engine, removeApp } from './support/docker';
import { eventEnv } from './support/github-payloads';
import { type StandIn, startStandIn } from './support/github-standin';
import { ROOT, readTestHost } from './support/host';
import { getBody } from './support/probe';

// The step run exactly as the runner runs it (every action.yml default as INPUT_*, post after main),
// with the workflows users copy from the README and the example workflows.

const host = readTestHost();
const TOKEN = 'ghs_runner_parity_token_0d41';
const DATABASE_URL = 'postgres://app:s3cret-pw-8812@db/app';
let standIn: StandIn;
let runId = 0;

/** The `with:` of Baton's step in a workflow (README block or file), with its expressions evaluated. */
function stepInputs(workflow: string, job: string, values: Record<string, string>): Record<string, string> {
  const steps = (parse(workflow) as { jobs: Record<string, { steps: { uses?: string; with?: object }[] }> })
    .jobs[job]?.steps;
  const step = steps?.find((candidate) => candidate.uses?.startsWith('baton-dev/baton@'));
  if (!step?.with) throw new Error(`no Baton step with inputs in job ${job}`);
  return Object.fromEntries(
    Object.entries(step.with).map(([name, value]) => [
      name,
      String(value).replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, expression: string) => {
        if (!(expression in values)) throw new Error(`the test gives no value for \${{ ${expression} }}`);
        return values[expression] as string;
      }),
    ]),
  );
}

function readmeQuickStart(): string {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('README has no workflow in Quick start');
  return block[1];
}

/** What the loopback host differs in from a real server: its registry, nginx paths and ports, state dir. */
function loopbackHost(app: string): Record<string, string> {
  return {
    image: `${host.REGISTRY}/${app}`,
    'registry-username': host.REGISTRY_USER,
    'registry-password': host.REGISTRY_PASSWORD,
    'nginx-listen': `127.0.0.1:${host.NGINX_PORT}`,
    'nginx-conf-dir': host.NGINX_CONF_DIR,
    'nginx-test-command': host.NGINX_TEST_COMMAND,
    'nginx-reload-command': host.NGINX_RELOAD_COMMAND,
    'state-dir': `${host.BATON_TEST_ROOT}/state`,
  };
}

const secretsAndVars = {
  'secrets.BATON_SSH_KEY': readFileSync(host.SSH_KEY_FILE, 'utf8'),
  'vars.BATON_KNOWN_HOSTS': readFileSync(host.KNOWN_HOSTS_FILE, 'utf8'),
  'vars.BATON_HOSTS': `root@127.0.0.1:${host.SSH_PORT}`,
  'secrets.DATABASE_URL': DATABASE_URL,
  'vars.BATON_PREVIEW_DOMAIN': 'pr-{number}.previews.test',
  'secrets.BATON_PREVIEW_SECRETS': 'PREVIEW_TOKEN=pv-token-1234',
};

function github(event: string, action: string | undefined, sha: string, repository: string, patch = {}) {
  return {
    DOCKER_HOST: host.DOCKER_HOST,
    ...eventEnv({ api: standIn.url, event, action, patch, sha, runId: 7000 + ++runId }),
    GITHUB_REPOSITORY: repository,
  };
}

async function containerEnv(app: string): Promise<string[]> {
  const [running] = (await appContainers(host, app)).filter((container) => container.state === 'running');
  if (!running) return [];
  return (await engine(host).getContainer(running.name).inspect()).Config.Env;
}

describe('the step as the runner runs it', () => {
  beforeAll(async () => {
    standIn = await startStandIn({ token: TOKEN });
    for (const app of ['quickstart', 'filecfg', 'web', 'web-pr-31']) await removeApp(host, app);
  });
  afterAll(async () => {
    await standIn.close();
    for (const app of ['quickstart', 'filecfg', 'web', 'web-pr-31']) await removeApp(host, app);
  });

  it("deploys with the README's Quick start step and no baton.yml", async () => {
    const written = stepInputs(readmeQuickStart(), 'deploy', secretsAndVars);
    const run = await runAction(
      {
        ...written,
        // The Quick start's server and domain are placeholders for the user's own.
        hosts: secretsAndVars['vars.BATON_HOSTS'],
        domain: 'quickstart.test',
        ...loopbackHost('quickstart'),
      },
      github('push', undefined, '1'.repeat(40), 'acme/quickstart'),
      {},
      { githubToken: TOKEN },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.url).toBe('http://quickstart.test');
    expect(await getBody({ port: Number(host.NGINX_PORT), host: 'quickstart.test' })).toMatch(/^version /);
    expect(await containerEnv('quickstart')).toEqual(
      expect.arrayContaining(['PORT=3000', `DATABASE_URL=${DATABASE_URL}`]),
    );
    // github-token came from action.yml's default, ${{ github.token }}.
    expect(standIn.deployments.some((deployment) => deployment.environment === 'production')).toBe(true);
    expect(run.post?.code).toBe(0);
    expect(run.visible).not.toContain('s3cret-pw-8812');
  });

  it('takes from baton.yml every setting that has a default, and inputs still win', async () => {
    const file = [
      'app: filecfg',
      'environment: staging',
      'app-port: 3000',
      'ready-path: /up',
      'retire-after: 1',
      'default-checks-wait: 0',
      'keep-releases: 1',
      // The second deploy would otherwise go through the canary's default minutes of steps and cooldown.
      'skip-canary: true',
      'env:',
      '  FROM_FILE: "yes"',
      '',
    ].join('\n');
    const inputs = {
      hosts: secretsAndVars['vars.BATON_HOSTS'],
      'ssh-key': secretsAndVars['secrets.BATON_SSH_KEY'],
      'known-hosts': secretsAndVars['vars.BATON_KNOWN_HOSTS'],
      domain: 'filecfg.test',
      ...loopbackHost('filecfg'),
    };
    const first = await runAction(
      { ...inputs, 'build-args': 'VERSION=file1' },
      github('push', undefined, '2'.repeat(40), 'acme/web'),
      { 'baton.yml': file },
      { githubToken: TOKEN },
    );
    expect(first.code, first.stdout).toBe(0);
    expect(await containerEnv('filecfg')).toEqual(expect.arrayContaining(['PORT=3000', 'FROM_FILE=yes']));
    expect(standIn.deployments.at(-1)?.environment).toBe('staging');
    expect(first.stdout).toContain('/up');
    expect(first.stdout).toContain('skip-canary is true');

    // build: false in the file with a tagged image: the input default 'true' must not hide it.
    const tagged = `${host.REGISTRY}/filecfg:${'2'.repeat(40)}`;
    const second = await runAction(
      { ...inputs, image: '', 'app-port': '8080' },
      github('push', undefined, '3'.repeat(40), 'acme/web'),
      { 'baton.yml': `${file}build: false\nimage: ${tagged}\n` },
      { githubToken: TOKEN },
    );
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).not.toMatch(/::group::Build/);
    expect(second.outputs.image).toBe(tagged);
    // An input written in the workflow wins over baton.yml.
    expect(await containerEnv('filecfg')).toEqual(expect.arrayContaining(['PORT=8080']));
  });

  it('the example preview workflow deploys a PR, and its closed job (no checkout) removes it', async () => {
    const workflow = readFileSync(resolve(ROOT, '.github/workflows/example-pr-previews.yml'), 'utf8');
    const inputs = {
      ...stepInputs(workflow, 'preview', secretsAndVars),
      ...loopbackHost('web'),
      image: `${host.REGISTRY}/web`,
      'app-port': '8080',
      'default-checks-wait': '0',
    };
    const patch = (sha: string) => ({
      number: 31,
      pull_request: {
        number: 31,
        head: { sha, ref: 'feature/runner', repo: { full_name: 'acme/web' } },
        base: { repo: { full_name: 'acme/web' } },
      },
    });
    const opened: ActionRun = await runAction(
      inputs,
      github('pull_request', 'opened', '4'.repeat(40), 'acme/web', patch('4'.repeat(40))),
      {},
      { githubToken: TOKEN },
    );
    expect(opened.code, opened.stdout).toBe(0);
    expect(await getBody({ port: Number(host.NGINX_PORT), host: 'pr-31.previews.test' })).toMatch(
      /^version /,
    );

    const closed = await runAction(
      inputs,
      github('pull_request', 'closed', '4'.repeat(40), 'acme/web', patch('4'.repeat(40))),
      {},
      { githubToken: TOKEN, checkout: false },
    );
    expect(closed.code, closed.stdout).toBe(0);
    expect(await appContainers(host, 'web-pr-31')).toEqual([]);
    expect(closed.post?.code).toBe(0);
  });
});
