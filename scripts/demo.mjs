#!/usr/bin/env node
// npm run demo: deploys the sample app to the loopback target host with the real action (node
// dist/index.js, inputs as INPUT_* variables, as the runner does), then a second version.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = execFileSync(join(root, 'scripts/test-host'), ['up'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
})
  .trim()
  .split('\n')
  .at(-1);
const host = Object.fromEntries(
  readFileSync(envFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => [
      line.slice(0, line.indexOf('=')),
      line.slice(line.indexOf('=') + 1).replace(/^'|'$/g, ''),
    ]),
);
const app = 'demo';
const domain = 'demo.localhost';

function deploy(version, sha) {
  const work = mkdtempSync(join(tmpdir(), 'baton-demo-'));
  // The checkout: the test app's files in the workspace, as actions/checkout leaves them.
  cpSync(host.TEST_APP_CONTEXT, work, { recursive: true });
  const inputs = {
    app,
    image: `${host.REGISTRY}/${app}`,
    'build-args': `VERSION=${version}`,
    hosts: `root@127.0.0.1:${host.SSH_PORT}`,
    'ssh-key': readFileSync(host.SSH_KEY_FILE, 'utf8'),
    'known-hosts': readFileSync(host.KNOWN_HOSTS_FILE, 'utf8'),
    'registry-username': host.REGISTRY_USER,
    'registry-password': host.REGISTRY_PASSWORD,
    domain,
    'app-port': '8080',
    secrets: 'DEMO_SECRET=not-for-your-eyes',
    'nginx-listen': `127.0.0.1:${host.NGINX_PORT}`,
    'nginx-conf-dir': host.NGINX_CONF_DIR,
    'nginx-test-command': host.NGINX_TEST_COMMAND,
    'nginx-reload-command': host.NGINX_RELOAD_COMMAND,
    'state-dir': `${host.BATON_TEST_ROOT}/state`,
    'retire-after': '5',
    'default-checks-wait': '2',
  };
  for (const name of ['output', 'summary']) writeFileSync(join(work, name), '');
  const env = {
    ...process.env,
    DOCKER_HOST: host.DOCKER_HOST,
    GITHUB_REPOSITORY: 'acme/demo',
    GITHUB_SHA: sha,
    GITHUB_ACTOR: 'demo',
    GITHUB_WORKSPACE: work,
    RUNNER_TEMP: work,
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    ...Object.fromEntries(
      Object.entries(inputs).map(([key, value]) => [`INPUT_${key.toUpperCase()}`, value]),
    ),
  };
  console.log(`\n=== node dist/index.js: deploy ${version} ===`);
  const result = spawnSync(process.execPath, [join(root, 'dist/index.js')], { env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function fetchPage() {
  return new Promise((done) => {
    http
      .get(
        {
          host: '127.0.0.1',
          port: Number(host.NGINX_PORT),
          path: '/',
          headers: { Host: domain },
          agent: false,
        },
        (response) => {
          let body = '';
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on('end', () => done(`HTTP ${response.statusCode}: ${body.trim()}`));
        },
      )
      .on('error', (error) => done(`error: ${error.message}`));
  });
}

const url = `http://${domain}:${host.NGINX_PORT}/ (nginx on 127.0.0.1:${host.NGINX_PORT})`;
console.log(`before: ${await fetchPage()}`);
deploy('v1', '1'.repeat(40));
const first = await fetchPage();
deploy('v2', '2'.repeat(40));
const second = await fetchPage();
console.log(`\nURL: ${url}\n  after v1: ${first}\n  after v2: ${second}`);
console.log(`Try it: curl -H 'Host: ${domain}' http://127.0.0.1:${host.NGINX_PORT}/`);
