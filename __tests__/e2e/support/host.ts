import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');

/** The loopback target host started by scripts/test-host (global setup), as KEY=value pairs. */
export interface TestHost {
  DOCKER_HOST: string;
  SSH_PORT: string;
  SSH_KEY_FILE: string;
  KNOWN_HOSTS_FILE: string;
  REGISTRY: string;
  REGISTRY_USER: string;
  REGISTRY_PASSWORD: string;
  NGINX_PORT: string;
  NGINX_CONF_DIR: string;
  NGINX_TEST_COMMAND: string;
  NGINX_RELOAD_COMMAND: string;
  NGINX_RUN_DIR: string;
  NGINX_LOG_DIR: string;
  BATON_TEST_ROOT: string;
  TEST_APP_CONTEXT: string;
}

export function startTestHost(variables: Record<string, string> = {}): string {
  return execFileSync(resolve(ROOT, 'scripts/test-host'), ['up'], {
    encoding: 'utf8',
    env: { ...process.env, ...variables },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1) as string;
}

export function readTestHost(envFile = process.env.BATON_TEST_ENV ?? '/tmp/baton-test-host/env'): TestHost {
  const values: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) values[match[1]] = unquote(match[2] ?? '');
  }
  return values as unknown as TestHost;
}

function unquote(value: string): string {
  if (value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replace(/'\\''/g, "'");
  if (value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  return value;
}

/** The inputs every deploy to the test host needs; tests override what they exercise. */
export function hostInputs(host: TestHost, app: string): Record<string, string> {
  return {
    app,
    image: `${host.REGISTRY}/${app}`,
    hosts: `root@127.0.0.1:${host.SSH_PORT}`,
    'ssh-key': readFileSync(host.SSH_KEY_FILE, 'utf8'),
    'known-hosts': readFileSync(host.KNOWN_HOSTS_FILE, 'utf8'),
    'registry-username': host.REGISTRY_USER,
    'registry-password': host.REGISTRY_PASSWORD,
    domain: `${app}.test`,
    'app-port': '8080',
    'nginx-listen': `127.0.0.1:${host.NGINX_PORT}`,
    'nginx-conf-dir': host.NGINX_CONF_DIR,
    'nginx-test-command': host.NGINX_TEST_COMMAND,
    'nginx-reload-command': host.NGINX_RELOAD_COMMAND,
    'nginx-run-dir': host.NGINX_RUN_DIR,
    'nginx-log-dir': host.NGINX_LOG_DIR,
    'state-dir': `${host.BATON_TEST_ROOT}/state`,
    'retire-after': '3',
    'ready-timeout': '20',
    'default-checks-wait': '1',
    // The canary (on by default) has its own tests (canary.test.ts); elsewhere traffic moves at once.
    'skip-canary': 'true',
  };
}

/** An app's release history on the test host, read from its state dir: the current release and each outcome. */
export function releaseHistory(appDir: string): { current: string; outcome: Record<string, string> } {
  const current = readFileSync(join(appDir, 'current'), 'utf8').trim();
  const records = readdirSync(join(appDir, 'releases')).map(
    (file) =>
      JSON.parse(readFileSync(join(appDir, 'releases', file), 'utf8')) as { id: string; outcome: string },
  );
  return { current, outcome: Object.fromEntries(records.map((record) => [record.id, record.outcome])) };
}
