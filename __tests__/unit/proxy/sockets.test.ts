import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Route } from '../../../src/model/route';
import { forwarderName, parseForwarderName, renderForwarder } from '../../../src/proxy/nginx/forwarder';
import * as commands from '../../../src/proxy/nginx/socket-commands';
import { bucketName, isSocketSite, renderSocketSite } from '../../../src/proxy/nginx/socket-site';
import { parseDrained, parseState, plannedLinks, secondaryBuckets } from '../../../src/proxy/nginx/sockets';
import { percentile, tallyTraffic } from '../../../src/proxy/nginx/traffic';
import { nginxTestConf, nginxTestSites } from '../support/nginx';

const DIRS = { runDir: '/run/baton', logDir: '/var/log/nginx' };
const WEB: Route = {
  app: 'web',
  release: 'r2',
  domain: 'web.example.com',
  listen: '80',
  upstreams: [{ port: 49153, weight: 1 }],
};

// A process that dies on SIGQUIT, as nginx does once its requests finish (sh's & would ignore QUIT).
const QUITS = 'import signal, time; signal.signal(signal.SIGQUIT, signal.SIG_DFL); time.sleep(30)';

/** Runs a command line locally, as the host's shell would. */
function sh(argv: string[], stdin = '') {
  const [command, ...args] = argv;
  const result = spawnSync(command as string, args, { encoding: 'utf8', input: stdin });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('renderSocketSite', () => {
  const text = renderSocketSite(WEB, DIRS);

  it('hashes clients into 20 buckets of 5% and passes each request to its bucket link', () => {
    expect(text.match(/^ {4}5% b\d\d;$/gm)).toHaveLength(19);
    expect(text).toContain('    *  b19;');
    expect(text).toContain('split_clients "${remote_addr}${http_user_agent}" $baton_web_bucket {');
    expect(text).toContain('proxy_pass http://unix:/run/baton/web/$baton_web_bucket:;');
    expect(text).toContain('proxy_hide_header X-Baton-Release;');
    expect(text).toContain('access_log /var/log/nginx/baton-web.traffic.log baton_web;');
    expect(isSocketSite(text)).toBe(true);
    expect(isSocketSite('# Managed by Baton: app web, release r1. Rewritten at every deploy.')).toBe(false);
  });

  it('does not depend on the release: a deploy leaves the file as it is', () => {
    expect(renderSocketSite({ ...WEB, release: 'r3', upstreams: [{ port: 1, weight: 1 }] }, DIRS)).toBe(text);
  });

  it('passes nginx -t, for two apps side by side', () => {
    const other = renderSocketSite({ ...WEB, app: 'my-api', domain: 'api.example.com' }, DIRS);
    const result = nginxTestSites([text, other]);
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });
});

describe('renderForwarder', () => {
  it('is a whole nginx.conf that nginx -t accepts: unix socket in, the container port out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-forwarder-'));
    const conf = renderForwarder({ release: 'r2', port: 49153 }, dir);
    expect(conf).toContain(`listen unix:${dir}/sock;`);
    expect(conf).toContain('proxy_pass http://127.0.0.1:49153;');
    expect(conf).toContain('add_header X-Baton-Release r2 always;');
    expect(conf).toContain('proxy_buffering off;');
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const result = nginxTestConf(join(dir, 'nginx.conf'), dir);
    expect(result.output).toContain('test is successful');
  });

  it('names its directory by release and port, and reads the name back', () => {
    const name = forwarderName({ release: '20240305-140709-0123456-2', port: 32768 });
    expect(name).toBe('f-20240305-140709-0123456-2-32768');
    expect(parseForwarderName(name)).toEqual({ release: '20240305-140709-0123456-2', port: 32768 });
    expect(parseForwarderName('other')).toBeUndefined();
  });
});

describe('plannedLinks', () => {
  it('sends everything to primary for one upstream (all at once)', () => {
    expect(plannedLinks(WEB)).toEqual({
      links: { primary: 'f-r2-49153', secondaryBuckets: 0 },
      forwarders: [{ release: 'r2', port: 49153 }],
    });
  });

  it("puts the route's own release on secondary with its share of the buckets", () => {
    const route = {
      ...WEB,
      upstreams: [
        { port: 1000, weight: 75, release: 'r1' },
        { port: 2000, weight: 25 },
      ],
    };
    expect(plannedLinks(route).links).toEqual({
      primary: 'f-r1-1000',
      secondary: 'f-r2-2000',
      secondaryBuckets: 5,
    });
  });

  it('rounds weights to 5% steps and refuses three upstreams', () => {
    expect(secondaryBuckets(10, 100)).toBe(2);
    expect(secondaryBuckets(12, 100)).toBe(2);
    expect(secondaryBuckets(13, 100)).toBe(3);
    expect(secondaryBuckets(100, 100)).toBe(20);
    expect(secondaryBuckets(1, 0)).toBe(0);
    const three = { ...WEB, upstreams: [1, 2, 3].map((port) => ({ port, weight: 1 })) };
    expect(() => plannedLinks(three)).toThrow(/1 or 2 releases, not 3/);
  });
});

describe('the link scripts, run by a local shell', () => {
  function appDir() {
    const dir = join(mkdtempSync(join(tmpdir(), 'baton-links-')), 'web');
    for (const name of ['f-r1-1000', 'f-r2-2000']) mkdirSync(join(dir, name), { recursive: true });
    return dir;
  }

  it('switch points every bucket at primary, then K of them at secondary; state reads it back', () => {
    const dir = appDir();
    const log = join(dir, 'traffic.log');
    writeFileSync(log, 'x'.repeat(42));
    const first = sh(commands.switchLinks(dir, 'f-r1-1000/sock', undefined, 0, log));
    expect(first.stdout).toBe('switched 42\n');
    expect(readlinkSync(join(dir, 'primary'))).toBe('f-r1-1000/sock');
    expect(readlinkSync(join(dir, 'b07'))).toBe('primary');

    sh(commands.switchLinks(dir, 'f-r1-1000/sock', 'f-r2-2000/sock', 5, log));
    expect(readlinkSync(join(dir, 'b04'))).toBe('secondary');
    expect(readlinkSync(join(dir, 'b05'))).toBe('primary');
    const state = parseState(sh(commands.readState(dir, join(dir, 'none.conf'))).stdout);
    expect(state).toMatchObject({ primary: 'f-r1-1000', secondary: 'f-r2-2000', secondaryBuckets: 5 });
    expect(state.forwarders.sort()).toEqual(['f-r1-1000', 'f-r2-2000']);
    expect(state.site).toBeUndefined();

    sh(commands.switchLinks(dir, 'f-r2-2000/sock', undefined, 0, log));
    expect(existsSync(join(dir, 'secondary'))).toBe(false);
    expect(readlinkSync(join(dir, bucketName(0)))).toBe('primary');
  });

  it('state returns the site file verbatim', () => {
    const dir = appDir();
    const site = join(dir, 'site.conf');
    writeFileSync(site, 'server {}\n\n');
    expect(parseState(sh(commands.readState(dir, site)).stdout).site).toBe('server {}\n\n');
  });

  it('drain quits forwarders no link points at and that are not staged; reports what it closed', () => {
    const dir = appDir();
    mkdirSync(join(dir, 'f-r3-3000'));
    writeFileSync(join(dir, 'f-r3-3000', 'staged'), '');
    sh(commands.switchLinks(dir, 'f-r2-2000/sock', undefined, 0, join(dir, 'log')));
    // Orphaned at once, as a daemonized forwarder is: its exit is reaped, not left a zombie.
    const old = sh(['sh', '-c', `python3 -c "${QUITS}" >/dev/null 2>&1 & echo $!`]).stdout.trim();
    writeFileSync(join(dir, 'f-r1-1000', 'pid'), old);
    const result = sh(commands.drainForwarders(dir, 5));
    expect(parseDrained(result.stdout)).toEqual([{ release: 'r1', ms: expect.any(Number), closed: 0 }]);
    expect(existsSync(join(dir, 'f-r1-1000'))).toBe(false);
    expect(existsSync(join(dir, 'f-r2-2000'))).toBe(true);
    expect(existsSync(join(dir, 'f-r3-3000'))).toBe(true);

    sh(commands.discardForwarders(dir, 'unlinked'));
    expect(existsSync(join(dir, 'f-r3-3000'))).toBe(false);
    expect(existsSync(join(dir, 'f-r2-2000'))).toBe(true);
    sh(commands.discardForwarders(dir, 'all'));
    expect(existsSync(dir)).toBe(false);
  });
});

describe('tallyTraffic', () => {
  const links = [
    'link b00 /run/baton/web/f-r2-2000/sock',
    'link b01 /run/baton/web/f-r1-1000/sock',
    'size 4096',
  ];

  it('counts requests, 5xx and percentiles per release; a 502 without a release counts for its bucket', () => {
    const lines = [
      ...Array.from(
        { length: 99 },
        (_, i) => `1700000000.${String(i).padStart(3, '0')} b01 200 "r1" "0.00${i % 10}"`,
      ),
      '1700000001.000 b01 200 "r1" "0.500"',
      '1700000001.100 b00 200 "r2" "0.002"',
      '1700000001.200 b00 502 "-" "0.000"',
      '1700000001.300 b00 504 "" "-"',
      'not a log line',
    ];
    const report = tallyTraffic([...links, ...lines].join('\n'));
    expect(report.mark.offset).toBe(4096);
    const r1 = report.releases.find((entry) => entry.release === 'r1');
    const r2 = report.releases.find((entry) => entry.release === 'r2');
    expect(r1).toMatchObject({ requests: 100, errors: 0, p50Ms: 4, p99Ms: 9 });
    expect(r2).toMatchObject({ requests: 3, errors: 2, p50Ms: 0 });
  });

  it('takes the last time of a retried request', () => {
    const report = tallyTraffic([...links, '1700000000.000 b00 200 "r2" "0.001, 0.030"'].join('\n'));
    expect(report.releases[0]?.p99Ms).toBe(30);
  });

  it('handles an empty log and tens of thousands of lines', () => {
    expect(tallyTraffic('size 0\n').releases).toEqual([]);
    const many = Array.from({ length: 50_000 }, () => '1700000000.000 b01 200 "r1" "0.001"');
    expect(tallyTraffic([...links, ...many].join('\n')).releases[0]?.requests).toBe(50_000);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 0.5)).toBeUndefined();
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
  });
});
