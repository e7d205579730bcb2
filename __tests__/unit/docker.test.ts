import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  memory: '',
  cpus: '',
};

describe('run', () => {
  const argv = docker.run(SPEC);

  it('sets resource limits only when given', () => {
    expect(argv).not.toContain('--memory');
    expect(argv).not.toContain('--cpus');
    const limited = docker.run({ ...SPEC, memory: '512m', cpus: '0.5' });
    expect(valuesOf(limited, '--memory')).toEqual(['512m']);
    expect(valuesOf(limited, '--cpus')).toEqual(['0.5']);
    expect(limited.indexOf('--memory')).toBeLessThan(limited.indexOf(SPEC.image));
  });

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

describe('pullWithLogin', () => {
  const argv = docker.pullWithLogin(
    '/srv/web/docker-config-1',
    '/srv/web/docker-config',
    'ghcr.io',
    'octocat',
    'ghcr.io/a/b:1',
  );

  it('reads the password from stdin and never takes it as an argument', () => {
    expect(argv).not.toContain('--password');
    expect(argv).not.toContain('-p');
    expect(argv[2]).toContain('--password-stdin');
    // The signature has no place for a password at all.
    expect(docker.pullWithLogin.length).toBe(5);
  });

  it('logs in and pulls with a config dir that it removes when it exits (and the legacy one)', () => {
    const root = mkdtempSync(join(tmpdir(), 'baton-pull-'));
    const bin = join(root, 'bin');
    mkdirSync(bin);
    // A stand-in docker that records its config dir's content at each call.
    writeFileSync(
      join(bin, 'docker'),
      `#!/bin/sh\n[ "$3" = login ] && cat > "$2/config.json"\necho "$3 $(cat "$2/config.json")" >> ${root}/calls\n[ "$3" != pull ] || [ -z "$FAIL" ]\n`,
      { mode: 0o755 },
    );
    mkdirSync(join(root, 'legacy'));
    for (const fail of ['', '1']) {
      const cfg = join(root, 'cfg');
      const [cmd, ...args] = docker.pullWithLogin(cfg, join(root, 'legacy'), 'r.io', 'u', 'r.io/a:1');
      const result = spawnSync(cmd as string, args, {
        input: 'pw-123',
        env: { PATH: `${bin}:${process.env.PATH}`, FAIL: fail },
      });
      expect(result.status).toBe(fail ? 1 : 0);
      expect(existsSync(cfg)).toBe(false);
      expect(existsSync(join(root, 'legacy'))).toBe(false);
    }
    expect(readFileSync(join(root, 'calls'), 'utf8')).toBe('login pw-123\npull pw-123\n'.repeat(2));
    rmSync(root, { recursive: true, force: true });
  });
});

describe('other commands', () => {
  it('pulls quietly', () => {
    expect(docker.pull('nginx:1.25')).toEqual(['docker', 'pull', '--quiet', 'nginx:1.25']);
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
    expect(docker.logs('web-1', 50)).toEqual([
      'sh',
      '-c',
      'exec "$@" 2>&1',
      'baton',
      'docker',
      'logs',
      '--tail',
      '50',
      'web-1',
    ]);
    expect(docker.remove('web-1')).toEqual(['docker', 'rm', '--force', '--volumes', 'web-1']);
  });

  it("lists the app's containers by label", () => {
    const argv = docker.appContainers('web');
    expect(valuesOf(argv, '--filter')).toEqual(['label=baton.app=web']);
    expect(argv).toContain('--all');
    expect(docker.appContainers('web', 'all')).toEqual(argv);
  });

  it("lists only the app's running containers", () => {
    expect(docker.appContainers('web', 'running')).toEqual([
      'docker',
      'ps',
      '--filter',
      'status=running',
      '--filter',
      'label=baton.app=web',
      '--format',
      '{{.Names}}',
    ]);
    expect(docker.appContainers('web', 'running')).not.toContain('--all');
  });

  it('describes containers with one inspect call, the names as separate arguments', () => {
    const format = '{{.Name}} {{index .Config.Labels "baton.release"}} {{.Image}} {{.State.Running}}';
    expect(docker.describeContainers(['web-1', 'web 2; reboot'])).toEqual([
      'docker',
      'inspect',
      '--format',
      format,
      'web-1',
      'web 2; reboot',
    ]);
    expect(docker.describeContainers(['web-1'])).toEqual(['docker', 'inspect', '--format', format, 'web-1']);
  });

  it('starts and stops (with a 30 s grace period) a container', () => {
    expect(docker.start('web-1')).toEqual(['docker', 'start', 'web-1']);
    expect(docker.stop('web-1')).toEqual(['docker', 'stop', '--time', '30', 'web-1']);
    expect(docker.stop('$(id)')).toEqual(['docker', 'stop', '--time', '30', '$(id)']);
  });

  it('removes images by id, without forcing', () => {
    expect(docker.removeImages(['sha256:aaa', 'sha256:bbb'])).toEqual([
      'docker',
      'image',
      'rm',
      'sha256:aaa',
      'sha256:bbb',
    ]);
    expect(docker.removeImages(['sha256:aaa'])).not.toContain('--force');
  });
});

const CURRENT_FILE = '/var/lib/baton/web/current';

describe('retireLater', () => {
  const names = ['web-old-1', 'web old; reboot', '$(id)'];
  const argv = docker.retireLater(45, CURRENT_FILE, 'web', names);

  it('is sh -c with a constant script, then the delay, current file, app and names as separate arguments', () => {
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual(['baton-retire', '45', CURRENT_FILE, 'web', ...names]);
    expect(docker.retireLater(0, '/elsewhere/current', 'api', ['x'])[2]).toBe(argv[2]);
  });

  it('never puts names, the app, the current file or the delay into the script', () => {
    const script = argv[2] ?? '';
    for (const name of names) expect(script).not.toContain(name);
    expect(script).not.toContain('web');
    expect(script).not.toContain(CURRENT_FILE);
    expect(script).not.toContain('45');
    expect(script).toContain('"$@"');
  });

  it('stops the containers and never removes them', () => {
    const script = argv[2] ?? '';
    expect(script).toContain('docker stop --time 30 "$c"');
    expect(script).not.toMatch(/docker rm\b/);
  });
});

describe('retireLater, run by a real shell', () => {
  const containers = ['web-rel-1', 'web rel x', 'web-rel-2'];

  /**
   * Runs retireLater with delay 0 and a fake docker on PATH that waits for a go-ahead before it records a
   * call: the shell returns while no call is made yet (so they run in the background). Then gives the
   * go-ahead, waits for the expected calls, and returns every call, one per line, each argument in brackets.
   */
  async function retire(current: string | undefined, expected: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'baton-retire-'));
    try {
      const log = join(dir, 'docker.log');
      const go = join(dir, 'go');
      writeFileSync(
        join(dir, 'docker'),
        `#!/bin/sh
while [ -d '${dir}' ] && [ ! -e '${go}' ]; do sleep 0.05; done
{ printf '[%s]' "$@"; echo; } >> '${log}'
`,
        { mode: 0o755 },
      );
      const currentFile = join(dir, 'current');
      if (current !== undefined) writeFileSync(currentFile, current);
      const [shell, ...args] = docker.retireLater(0, currentFile, 'web', containers);
      // A foreground docker stop would wait for the go-ahead forever: this returns only if they are in the background.
      execFileSync(shell ?? 'sh', args, {
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        timeout: 20_000,
      });
      expect(existsSync(log)).toBe(false);
      writeFileSync(go, '');
      for (let i = 0; i < 600 && !(existsSync(log) && readFileSync(log, 'utf8') === expected); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The skipped container comes last: give a wrong stop of it time to show up before reading the log.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return existsSync(log) ? readFileSync(log, 'utf8') : '';
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('stops each container after the delay, in the background, but not the current release', async () => {
    const expected = '[stop][--time][30][web-rel-1]\n[stop][--time][30][web rel x]\n';
    const calls = await retire('rel-2\n', expected);
    expect(calls).toBe(expected);
    expect(calls).not.toContain('web-rel-2');
    expect(calls).not.toContain('[rm]');
  });

  it('stops all of them when there is no current file', async () => {
    const expected =
      '[stop][--time][30][web-rel-1]\n[stop][--time][30][web rel x]\n[stop][--time][30][web-rel-2]\n';
    const calls = await retire(undefined, expected);
    expect(calls).toBe(expected);
    expect(calls).not.toContain('[rm]');
  });
});
