import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stopWatchCommand, watchCommand } from '../../../src/proxy/nginx/cooldown-watch';
import type { HostWatch } from '../../../src/proxy/types';

// The host's cooldown watch is a shell script: run it for real with sh, on a run dir laid out as the
// reload-free driver leaves it at 100% (primary → the new forwarder), a traffic log, and a `docker` on
// PATH that records what it is asked to do. Forwarders are `sleep` processes (QUIT ends them as nginx).

const FRESH = 'f-20261206-100000-aaaaaaa-40001';
const OLD = 'f-20261205-100000-bbbbbbb-40002';
const children: number[] = [];
const feeds: NodeJS.Timeout[] = [];

afterEach(() => {
  for (const feed of feeds.splice(0)) clearInterval(feed);
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

function forwarder(dir: string, name: string): number {
  mkdirSync(join(dir, name));
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  child.unref();
  children.push(child.pid as number);
  writeFileSync(join(dir, name, 'pid'), `${child.pid}\n`);
  return child.pid as number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `count` log lines of the new release: every `failEvery`-th a 500, each taking `ms`. */
function lines(count: number, options: { failEvery?: number; ms?: number; release?: string } = {}): string {
  const release = options.release ?? '20261206-100000-aaaaaaa';
  return Array.from({ length: count }, (_, i) => {
    const status = options.failEvery && i % options.failEvery === 0 ? 500 : 200;
    return `1764979200.${String(i).padStart(3, '0')} b01 ${status} "${release}" "${((options.ms ?? 4) / 1000).toFixed(3)}"`;
  }).join('\n');
}

function setUp(log: string, overrides: Partial<HostWatch> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'baton-watch-'));
  const dir = join(root, 'run', 'web');
  const state = join(root, 'state');
  const bin = join(root, 'bin');
  for (const path of [dir, state, join(state, 'releases'), bin]) mkdirSync(path, { recursive: true });
  const fresh = forwarder(dir, FRESH);
  const old = forwarder(dir, OLD);
  symlinkSync(`${FRESH}/sock`, join(dir, 'primary'));
  writeFileSync(join(root, 'traffic.log'), `${log}\n`);
  writeFileSync(join(state, 'current'), '20261206-100000-aaaaaaa\n');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$*" >> ${join(root, 'docker.calls')}\n`);
  // curl: records its arguments and the body on stdin, answers 201.
  writeFileSync(
    join(bin, 'curl'),
    `#!/bin/sh\necho "$*" > ${join(root, 'curl.args')}\ncat > ${join(root, 'curl.body')}\nprintf 201\n`,
  );
  for (const tool of ['docker', 'curl']) chmodSync(join(bin, tool), 0o755);
  const watch: HostWatch = {
    fresh: { release: '20261206-100000-aaaaaaa', container: 'web-20261206-100000-aaaaaaa' },
    old: { release: '20261205-100000-bbbbbbb', containers: ['web-20261205-100000-bbbbbbb'] },
    seconds: 3,
    checkSeconds: 1,
    failureLimit: 2,
    minRequests: 20,
    maxErrorRate: 0.01,
    maxP99Ms: 500,
    drainSeconds: 1,
    currentFile: join(state, 'current'),
    recordFile: join(state, 'releases', '20261206-100000-aaaaaaa.json'),
    rolledBackRecord: JSON.stringify({
      id: '20261206-100000-aaaaaaa',
      outcome: 'rolled back',
      error: '@REASON@',
    }),
    resultFile: join(state, 'cooldown.result'),
    ...overrides,
  };
  const argv = watchCommand({
    watch,
    dir,
    log: join(root, 'traffic.log'),
    offset: 0,
    freshForwarder: FRESH,
    oldForwarder: OLD,
  });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const run = (command: string[]) =>
    spawnSync(command[0] as string, command.slice(1), { env, encoding: 'utf8' });
  /** Appends `text` to the traffic log every 250 ms (steady traffic) until the test ends. */
  const feed = (text: string) => {
    feeds.push(setInterval(() => appendFileSync(join(root, 'traffic.log'), `${text}\n`), 250));
  };
  return { root, dir, state, watch, fresh, old, start: () => run(argv), run, feed };
}

async function until(check: () => boolean, seconds = 20): Promise<void> {
  for (let waited = 0; waited < seconds * 10 && !check(); waited++)
    await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('the cooldown watch on the host (sh, for real)', () => {
  it('rolls back by itself after the failing checks: links, current, record, drain, docker stop', async () => {
    const host = setUp(lines(100, { failEvery: 5 }));
    host.feed(lines(100, { failEvery: 5 }));
    expect(host.start().status).toBe(0);
    await until(() => existsSync(host.watch.resultFile));
    expect(readFileSync(host.watch.resultFile, 'utf8')).toMatch(
      /^rolled back at \S+: 5xx rate 20\.00% is above 1\.00% \(\d+ of \d+ requests\)$/m,
    );
    expect(readlinkSync(join(host.dir, 'primary'))).toBe(`${OLD}/sock`);
    expect(readFileSync(host.watch.currentFile, 'utf8')).toBe('20261205-100000-bbbbbbb\n');
    expect(JSON.parse(readFileSync(host.watch.recordFile, 'utf8'))).toEqual({
      id: '20261206-100000-aaaaaaa',
      outcome: 'rolled back',
      error: expect.stringMatching(
        /^cooldown \(watched on the host\): 5xx rate 20\.00% is above 1\.00% \(\d+ of \d+ requests\)$/,
      ),
    });
    expect(existsSync(join(host.dir, FRESH))).toBe(false);
    await until(() => !alive(host.fresh));
    expect(alive(host.fresh)).toBe(false);
    expect(alive(host.old)).toBe(true);
    expect(readFileSync(join(host.root, 'docker.calls'), 'utf8')).toBe(
      'stop --time 30 web-20261206-100000-aaaaaaa\n',
    );
    expect(existsSync(join(host.dir, 'cooldown.pid'))).toBe(false);
  });

  it('with a token, sets the GitHub deployment to failure (header from its file), then removes the file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'baton-watch-gh-'));
    const headerFile = join(root, 'cooldown.github-header');
    writeFileSync(headerFile, 'Authorization: Bearer t0ken\n', { mode: 0o600 });
    const url = 'http://127.0.0.1:9/repos/acme/web/deployments/7/statuses';
    const body = JSON.stringify({
      state: 'failure',
      description: '@DESCRIPTION@',
      environment: 'production',
    });
    const host = setUp(lines(100, { failEvery: 5 }), { github: { url, body, headerFile } });
    host.feed(lines(100, { failEvery: 5 }));
    host.start();
    await until(() => existsSync(host.watch.resultFile));
    expect(readFileSync(host.watch.resultFile, 'utf8')).toMatch(/; GitHub deployment status: HTTP 201$/m);
    const args = readFileSync(join(host.root, 'curl.args'), 'utf8');
    expect(args).toContain(`-X POST -H @${headerFile}`);
    expect(args).not.toContain('t0ken');
    expect(args.trim().endsWith(url)).toBe(true);
    expect(JSON.parse(readFileSync(join(host.root, 'curl.body'), 'utf8'))).toEqual({
      state: 'failure',
      description: expect.stringMatching(
        /^Canary cooldown rolled back on the host: 5xx rate 20\.00% is above 1\.00% \(\d+ of \d+ requests\)$/,
      ),
      environment: 'production',
    });
    expect(existsSync(headerFile)).toBe(false);
  });

  it('judges each check on the traffic since the previous one: a burst fails one check, not the next', async () => {
    const host = setUp(lines(100, { failEvery: 5 }), { seconds: 4 });
    host.start();
    const marks = join(host.dir, 'cooldown.marks');
    await until(() => existsSync(marks) && readFileSync(marks, 'utf8').trim() !== '');
    appendFileSync(join(host.root, 'traffic.log'), `${lines(100)}\n`);
    await until(() => existsSync(host.watch.resultFile));
    expect(readFileSync(host.watch.resultFile, 'utf8')).toMatch(/^passed at/);
    expect(readlinkSync(join(host.dir, 'primary'))).toBe(`${FRESH}/sock`);
  });

  it('rolls back on p99, and judges only the new release (and nginx’s own answers)', async () => {
    const slow = [lines(50, { ms: 900 }), lines(200, { ms: 1, release: '20261205-100000-bbbbbbb' })].join(
      '\n',
    );
    const host = setUp(slow);
    host.feed(slow);
    host.start();
    await until(() => existsSync(host.watch.resultFile));
    expect(readFileSync(host.watch.resultFile, 'utf8')).toMatch(
      /: p99 900ms is above 500ms \(\d+ requests\)$/m,
    );
  });

  it('passes a healthy release: the old release is drained and stopped, the new one stays', async () => {
    const host = setUp(lines(100));
    host.feed(lines(100));
    host.start();
    await until(() => existsSync(host.watch.resultFile));
    expect(readFileSync(host.watch.resultFile, 'utf8')).toMatch(/^passed at \S+$/m);
    expect(readlinkSync(join(host.dir, 'primary'))).toBe(`${FRESH}/sock`);
    expect(existsSync(join(host.dir, OLD))).toBe(false);
    await until(() => !alive(host.old));
    expect(alive(host.old)).toBe(false);
    expect(alive(host.fresh)).toBe(true);
    expect(readFileSync(join(host.root, 'docker.calls'), 'utf8')).toBe(
      'stop --time 30 web-20261205-100000-bbbbbbb\n',
    );
    expect(readFileSync(host.watch.currentFile, 'utf8')).toBe('20261206-100000-aaaaaaa\n');
  });

  it('holds a quiet release (too few requests) and passes it', async () => {
    const host = setUp(lines(5, { failEvery: 1 }));
    host.start();
    await until(() => existsSync(host.watch.resultFile));
    expect(readFileSync(host.watch.resultFile, 'utf8')).toMatch(/^passed at/);
  });

  it('is stopped by the next command under the lock, which reads how the last one ended', async () => {
    const host = setUp(lines(100), { seconds: 600 });
    host.start();
    await until(() => existsSync(join(host.dir, 'cooldown.pid')));
    const header = join(host.state, 'cooldown.github-header');
    writeFileSync(header, 'Authorization: Bearer t0ken\n');
    const stop = stopWatchCommand(host.dir, host.watch.resultFile, header);
    expect(host.run(stop).stdout.trim()).toBe('stopped');
    expect(existsSync(header)).toBe(false);
    await until(() => !existsSync(join(host.dir, 'cooldown.pid')));
    expect(existsSync(join(host.dir, 'cooldown.pid'))).toBe(false);
    // Nothing moved: both releases still run, for the next deploy to retire.
    expect(readlinkSync(join(host.dir, 'primary'))).toBe(`${FRESH}/sock`);
    expect(alive(host.old)).toBe(true);
    writeFileSync(host.watch.resultFile, 'passed at 2026-12-06T10:05:00Z\n');
    expect(host.run(stop).stdout.trim()).toBe('passed at 2026-12-06T10:05:00Z');
    expect(existsSync(host.watch.resultFile)).toBe(false);
  });
});
