import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../../src/model/container';
import {
  parseContainers,
  parseListeners,
  parsePublishedPort,
  parseState,
} from '../../../src/runtime/docker-cli';
import * as docker from '../../../src/runtime/docker-cli/commands';

/** The values that follow each occurrence of a flag. */
function valuesOf(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, index) => (arg === flag ? [argv[index + 1] ?? '<missing>'] : []));
}

const SPEC: ContainerSpec = {
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
    expect(docker.remove(['web-1', 'web-2'])).toEqual([
      'docker',
      'rm',
      '--force',
      '--volumes',
      'web-1',
      'web-2',
    ]);
  });

  it('lists containers by filter in one round trip: ps for the ids, then one inspect of them all', () => {
    const bin = mkdtempSync(join(tmpdir(), 'baton-fake-docker-'));
    // A docker that answers ps with two ids (none when asked for running ones) and echoes inspect's arguments.
    writeFileSync(
      join(bin, 'docker'),
      '#!/bin/sh\nif [ "$1" = ps ]; then echo "$*" >&2; case "$*" in *status=running*) ;; *) echo abc; echo def;; esac; ' +
        'else printf "%s|" "$@"; fi\n',
      { mode: 0o755 },
    );
    const run = (argv: string[]) =>
      spawnSync(argv[0] as string, argv.slice(1), {
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
    const all = run(docker.list({ app: 'web', previewOf: 'base' }));
    expect(all.stderr).toBe(
      'ps --quiet --all --filter label=baton.app=web --filter label=baton.preview-of=base\n',
    );
    const [inspect, format, ...ids] = all.stdout.split('|');
    expect(inspect).toBe('inspect');
    expect(format).toBe('--format');
    expect(ids[0]).toContain('{{index .Config.Labels "baton.release"}}');
    expect(ids.slice(1, 3)).toEqual(['abc', 'def']);
    const running = run(docker.list({ baton: true, running: true }));
    expect(running.stderr).toBe('ps --quiet --filter status=running --filter label=baton.app\n');
    expect(running.stdout).toBe('');
    expect(running.status).toBe(0);
    rmSync(bin, { recursive: true, force: true });
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

describe('parseListeners', () => {
  // A real /proc/net/tcp: header, LISTEN (0A) on 0.0.0.0:8080 and 127.0.0.1:8081, and an ESTABLISHED (01) row.
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 37482 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 37490 1 0000000000000000 100 0 0 10 0',
    '   2: 0200A8C0:1F90 0100A8C0:D431 01 00000000:00000000 02:000AFB5D 00000000     0        0 37501 2 0000000000000000 20 4 30 10 -1',
    '',
  ].join('\n');

  it('lists LISTEN sockets with their port and whether they are bound to every address', () => {
    expect(parseListeners(TCP)).toEqual([
      { port: 8080, any: true },
      { port: 8081, any: false },
    ]);
  });

  it('reads /proc/net/tcp6 rows (:: is every address, ::1 is not)', () => {
    const TCP6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 00000000000000000000000001000000:0BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseListeners(`${TCP}${TCP6}`)).toEqual([
      { port: 8080, any: true },
      { port: 8081, any: false },
      { port: 3000, any: true },
      { port: 3001, any: false },
    ]);
  });

  it('reads empty and junk input as no listeners', () => {
    expect(parseListeners('')).toEqual([]);
    expect(parseListeners('cat: /proc/1/net/tcp6: No such file or directory')).toEqual([]);
    expect(parseListeners(TCP.split('\n')[0] as string)).toEqual([]);
  });
});

describe('what the docker CLI prints, parsed', () => {
  it('reads the loopback port of docker port', () => {
    expect(parsePublishedPort('127.0.0.1:49153\n')).toBe(49153);
    expect(parsePublishedPort('0.0.0.0:80\n[::]:80\n')).toBeUndefined();
    expect(parsePublishedPort('')).toBeUndefined();
  });

  it("reads a container's state", () => {
    expect(parseState('running 0 0\n')).toEqual({ status: 'running', restarts: 0, exitCode: 0 });
    expect(parseState('restarting 3 137')).toEqual({ status: 'restarting', restarts: 3, exitCode: 137 });
  });

  it('reads the container listing, one tab-separated line each', () => {
    const text =
      '/web-1\tweb\t\t20240305-140709-0123456\tsha256:aaa\ttrue\n/web-pr-3-x\tweb-pr-3\tweb\tx\tsha256:bbb\tfalse\n';
    expect(parseContainers(text)).toEqual([
      {
        name: 'web-1',
        app: 'web',
        previewOf: '',
        release: '20240305-140709-0123456',
        image: 'sha256:aaa',
        running: true,
      },
      {
        name: 'web-pr-3-x',
        app: 'web-pr-3',
        previewOf: 'web',
        release: 'x',
        image: 'sha256:bbb',
        running: false,
      },
    ]);
    expect(parseContainers('')).toEqual([]);
  });
});
