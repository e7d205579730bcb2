import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as docker from '../../src/commands/docker';

/** The values that follow each occurrence of a flag. */
function valuesOf(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, index) => (arg === flag ? [argv[index + 1] ?? '<missing>'] : []));
}

const SPEC: docker.ContainerSpec = {
  name: 'web-20240305-140709-0123456',
  image: 'ghcr.io/acme/web:0123456789abcdef0123456789abcdef01234567',
  appPort: 3000,
  labels: { 'baton.app': 'web', 'baton.release': '20240305-140709-0123456' },
  env: { PORT: '3000', GREETING: 'hello world; rm -rf /', EQUALS: 'a=b=c', EMPTY: '' },
  envFile: '/var/lib/baton/web/20240305-140709-0123456.env',
};

describe('run', () => {
  const argv = docker.run(SPEC);

  it('starts a detached, named, restarting container', () => {
    expect(argv.slice(0, 3)).toEqual(['docker', 'run', '--detach']);
    expect(valuesOf(argv, '--name')).toEqual([SPEC.name]);
    expect(valuesOf(argv, '--restart')).toEqual(['unless-stopped']);
  });

  it('labels the container', () => {
    expect(valuesOf(argv, '--label')).toEqual(['baton.app=web', 'baton.release=20240305-140709-0123456']);
  });

  it('publishes the app port on a random loopback port only', () => {
    expect(valuesOf(argv, '--publish')).toEqual(['127.0.0.1::3000']);
    expect(argv).not.toContain('-p');
  });

  it('passes each env variable as its own --env KEY=VALUE argument', () => {
    expect(valuesOf(argv, '--env')).toEqual([
      'PORT=3000',
      'GREETING=hello world; rm -rf /',
      'EQUALS=a=b=c',
      'EMPTY=',
    ]);
  });

  it('adds the env file when given', () => {
    expect(valuesOf(argv, '--env-file')).toEqual([SPEC.envFile]);
    const without = docker.run({ ...SPEC, envFile: undefined });
    expect(without).not.toContain('--env-file');
  });

  it('caps the logs and puts the image last', () => {
    expect(valuesOf(argv, '--log-opt')).toEqual(['max-size=10m', 'max-file=3']);
    expect(argv.at(-1)).toBe(SPEC.image);
    expect(argv.indexOf(SPEC.image)).toBe(argv.length - 1);
  });

  it('has no env or label arguments when there are none', () => {
    const bare = docker.run({ ...SPEC, labels: {}, env: {}, envFile: undefined });
    expect(bare).toEqual([
      'docker',
      'run',
      '--detach',
      '--name',
      SPEC.name,
      '--restart',
      'unless-stopped',
      '--publish',
      '127.0.0.1::3000',
      '--log-opt',
      'max-size=10m',
      '--log-opt',
      'max-file=3',
      SPEC.image,
    ]);
  });
});

describe('login', () => {
  it('reads the password from stdin and never takes it as an argument', () => {
    const argv = docker.login('/var/lib/baton/web/docker-config', 'ghcr.io', 'octocat');
    expect(argv).toEqual([
      'docker',
      '--config',
      '/var/lib/baton/web/docker-config',
      'login',
      '--username',
      'octocat',
      '--password-stdin',
      'ghcr.io',
    ]);
    expect(argv).not.toContain('--password');
    expect(argv).not.toContain('-p');
    // The signature has no place for a password at all.
    expect(docker.login.length).toBe(3);
  });
});

describe('other commands', () => {
  it('pulls quietly, with the login config when there is one', () => {
    expect(docker.pull('/cfg', 'nginx:1.25')).toEqual([
      'docker',
      '--config',
      '/cfg',
      'pull',
      '--quiet',
      'nginx:1.25',
    ]);
    expect(docker.pull(undefined, 'nginx:1.25')).toEqual(['docker', 'pull', '--quiet', 'nginx:1.25']);
  });

  it('asks for the published TCP port', () => {
    expect(docker.port('web-1', 3000)).toEqual(['docker', 'port', 'web-1', '3000/tcp']);
  });

  it('inspects state, tails logs and removes containers', () => {
    expect(docker.state('web-1')).toEqual([
      'docker',
      'inspect',
      '--format',
      '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}',
      'web-1',
    ]);
    expect(docker.logs('web-1', 50)).toEqual(['docker', 'logs', '--tail', '50', 'web-1']);
    expect(docker.remove('web-1')).toEqual(['docker', 'rm', '--force', '--volumes', 'web-1']);
  });

  it("lists the app's containers by label", () => {
    const argv = docker.appContainers('web');
    expect(valuesOf(argv, '--filter')).toEqual(['label=baton.app=web']);
    expect(argv).toContain('--all');
  });
});

describe('retireLater', () => {
  const names = ['web-old-1', 'web old; reboot', '$(id)'];
  const argv = docker.retireLater(45, names);

  it('is sh -c with a constant script, then the delay and names as separate arguments', () => {
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual(['baton-retire', '45', ...names]);
    expect(docker.retireLater(0, ['x'])[2]).toBe(argv[2]);
  });

  it('never puts names or the delay into the script', () => {
    const script = argv[2] ?? '';
    for (const name of names) expect(script).not.toContain(name);
    expect(script).not.toContain('45');
    expect(script).toContain('"$@"');
  });
});

describe('retireLater, run by a real shell', () => {
  it('stops then removes each container after the delay, in the background', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-retire-'));
    try {
      const log = join(dir, 'docker.log');
      // A fake docker that records each call, one argument per line.
      writeFileSync(join(dir, 'docker'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`, { mode: 0o755 });
      const [shell, ...args] = docker.retireLater(0, ['web-a', 'web b']);
      const started = Date.now();
      execFileSync(shell ?? 'sh', args, {
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        timeout: 5000,
      });
      expect(Date.now() - started).toBeLessThan(2000);
      const expected = 'stop --time 30 web-a\nrm web-a\nstop --time 30 web b\nrm web b\n';
      for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8') === expected); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(readFileSync(log, 'utf8')).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
