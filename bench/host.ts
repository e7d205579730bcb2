// The loopback target host of the e2e tests (scripts/test-host), seen from the bench: images in its
// registry, plain ssh into it as a hand-written deploy would, its sshd log and nginx.
import { nginxWorkers } from '../__tests__/e2e/support/nginx';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestHost } from '../__tests__/e2e/support/host';
import { toShell } from '../src/host/shell';

/** Builds the test app once per version (VERSION build arg) and pushes it: REGISTRY/bench:VERSION. */
export function buildImages(host: TestHost, versions: string[]): string[] {
  const config = mkdtempSync(join(tmpdir(), 'baton-bench-docker-'));
  const env = { ...process.env, DOCKER_HOST: host.DOCKER_HOST, DOCKER_CONFIG: config };
  try {
    execFileSync('docker', ['login', '-u', host.REGISTRY_USER, '--password-stdin', host.REGISTRY], {
      input: host.REGISTRY_PASSWORD,
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    return versions.map((version) => {
      const image = `${host.REGISTRY}/bench:${version}`;
      const args = ['build', '-q', '--build-arg', `VERSION=${version}`, '-t', image, host.TEST_APP_CONTEXT];
      execFileSync('docker', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('docker', ['push', '-q', image], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      return image;
    });
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/**
 * Runs a command on the host with the ssh client, as a hand-written workflow step does. ssh joins its
 * arguments into one line for the remote shell, so they are quoted with Baton's own quoting.
 */
export async function ssh(host: TestHost, argv: string[], stdinFile?: string): Promise<string> {
  const args = [toShell(argv)];
  const options = [
    '-i',
    host.SSH_KEY_FILE,
    '-p',
    host.SSH_PORT,
    '-o',
    `UserKnownHostsFile=${host.KNOWN_HOSTS_FILE}`,
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    'root@127.0.0.1',
  ];
  const child = execFile('ssh', [...options, '--', ...args]);
  child.stdin?.end(stdinFile ? readFileSync(stdinFile) : '');
  let stdout = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? 1)));
  if (code !== 0) throw new Error(`ssh ${args[0]} exited with ${code}: ${stderr}`);
  return stdout;
}

/** SSH logins the host's sshd has accepted so far (its log is LogLevel VERBOSE). */
export function sshLogins(host: TestHost): number {
  const log = readFileSync(join(host.BATON_TEST_ROOT, 'ssh/sshd.log'), 'utf8');
  return log.split('\n').filter((line) => line.includes('Accepted publickey for')).length;
}

export function reloadNginx(host: TestHost): void {
  for (const command of [host.NGINX_TEST_COMMAND, host.NGINX_RELOAD_COMMAND]) {
    execFileSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** What the numbers were measured on. */
export function machine(host: TestHost): Record<string, string | number> {
  const text = (command: string, args: string[], env = process.env) => {
    try {
      const result = execFileSync(command, args, {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return result.trim();
    } catch (error) {
      return String((error as { stderr?: string }).stderr ?? error).trim();
    }
  };
  const release = readFileSync('/etc/os-release', 'utf8');
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: /PRETTY_NAME="([^"]+)"/.exec(release)?.[1] ?? 'unknown',
    kernel: os.release(),
    node: process.version,
    docker: text('docker', ['version', '--format', '{{.Server.Version}}'], {
      ...process.env,
      DOCKER_HOST: host.DOCKER_HOST,
    }),
    nginx: execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' })
      .trim()
      .replace('nginx version: ', ''),
    nginxWorkers: nginxWorkers(host).length,
  };
}
