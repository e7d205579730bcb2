import http from 'node:http';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteHost } from '../../src/host/ssh';
import type { Route } from '../../src/model/route';
import { NginxSockets } from '../../src/proxy/nginx/sockets';
import { runAction } from './support/action';
import { appContainers, engine, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';
import { nginxWorkers } from './support/nginx';

// The reload-free driver itself, over a real SSH connection to the test host: a weighted split, the
// per-release figures nginx logs, and the drain of a release that stops taking traffic.

const host = readTestHost();
const app = 'split';
const nginx = { port: Number(host.NGINX_PORT), host: `${app}.test` };
const releases: Record<string, { release: string; port: number }> = {};
let shell: RemoteHost;
let proxy: NginxSockets;

function route(upstreams: Route['upstreams']): Route {
  const v2 = releases.v2 as { release: string };
  return {
    app,
    release: v2.release,
    domain: `${app}.test`,
    listen: `127.0.0.1:${host.NGINX_PORT}`,
    upstreams,
  };
}

async function moveTo(upstreams: Route['upstreams']): Promise<void> {
  await proxy.commit(await proxy.stage(route(upstreams)));
}

const split = () => {
  const { v1, v2 } = releases as {
    v1: { release: string; port: number };
    v2: { release: string; port: number };
  };
  return [
    { port: v1.port, weight: 75, release: v1.release },
    { port: v2.port, weight: 25, release: v2.release },
  ];
};
const allV2 = () => [{ port: (releases.v2 as { port: number }).port, weight: 1 }];

/** One GET with a given User-Agent (its bucket), resolving with the status and body or the error. */
function get(path: string, userAgent: string): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: nginx.port,
        path,
        headers: { Host: nginx.host, 'User-Agent': userAgent },
        agent: false,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(`${response.statusCode} ${body.trim()}`));
        response.on('error', (error) => resolve(`error ${error.message}`));
      },
    );
    request.on('error', (error) => resolve(`error ${error.message}`));
  });
}

describe('reload-free nginx driver on the test host: weights, figures, drain', () => {
  beforeAll(async () => {
    await removeApp(host, app);
    rmSync(`${host.NGINX_RUN_DIR}/${app}`, { recursive: true, force: true });
    for (const [version, digit] of [
      ['v1', '1'],
      ['v2', '2'],
    ] as const) {
      const run = await runAction(
        { ...hostInputs(host, app), 'build-args': `VERSION=${version}` },
        { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: digit.repeat(40) },
      );
      expect(run.code, run.stdout).toBe(0);
      const container = engine(host).getContainer(`${app}-${run.outputs.release}`);
      if (version === 'v1') continue;
      releases.v2 = { release: run.outputs.release as string, port: await hostPort(container) };
    }
    // v1 was retired by v2's deploy: start it again, as a canary step would keep it.
    const v1 = (await appContainers(host, app)).find((container) => container.state !== 'running');
    expect(v1).toBeDefined();
    await engine(host)
      .getContainer(v1?.name as string)
      .start();
    releases.v1 = {
      release: v1?.labels['baton.release'] as string,
      port: await hostPort(engine(host).getContainer(v1?.name as string)),
    };
    shell = await RemoteHost.connect(
      { user: 'root', host: '127.0.0.1', port: Number(host.SSH_PORT) },
      { privateKey: readFileSync(host.SSH_KEY_FILE, 'utf8'), passphrase: '' },
      { knownHosts: readFileSync(host.KNOWN_HOSTS_FILE, 'utf8'), trustFirstUse: false },
    );
    proxy = new NginxSockets(shell, {
      confDir: host.NGINX_CONF_DIR,
      runDir: host.NGINX_RUN_DIR,
      logDir: host.NGINX_LOG_DIR,
      testCommand: host.NGINX_TEST_COMMAND.split(' '),
      reloadCommand: host.NGINX_RELOAD_COMMAND.split(' '),
    });
  });

  afterAll(async () => {
    await proxy?.remove(app);
    shell?.dispose();
    expect(existsSync(`${host.NGINX_RUN_DIR}/${app}`)).toBe(false);
    await removeApp(host, app);
  });

  it('splits 25% to the new release over 200 clients (each stays on one release), without a reload', async () => {
    const workers = nginxWorkers(host);
    await moveTo(split());
    const before = (await proxy.traffic(app)).mark;
    const load = startLoad({ ...nginx, concurrency: 20, clientsPerWorker: 10, requestsPerClient: 12 });
    const report = await load.finished();
    expect(report.failed, JSON.stringify(report.failures)).toBe(0);
    expect(report.ok).toBe(2_400);
    const count = (body: string) =>
      report.bodies.filter(([text]) => text === body).reduce((sum, [, n]) => sum + n, 0);
    const share = count('version v2') / report.ok;
    console.log(`25% split: v2 got ${(share * 100).toFixed(1)}% of ${report.ok} requests`);
    expect(share).toBeGreaterThanOrEqual(0.2);
    expect(share).toBeLessThanOrEqual(0.3);
    expect(report.perClient).toHaveLength(200);
    for (const seen of report.perClient) {
      expect(seen).toHaveLength(1); // one release per client, and every client was served
      expect(seen[0]?.[1]).toBe(12);
    }
    expect(nginxWorkers(host)).toEqual(workers);

    // nginx's log says the same, per release.
    const figures = await proxy.traffic(app, before);
    const of = (release: string) => figures.releases.find((entry) => entry.release === release);
    expect(of(releases.v1?.release as string)?.requests).toBe(count('version v1'));
    expect(of(releases.v2?.release as string)).toMatchObject({ requests: count('version v2'), errors: 0 });
    expect(of(releases.v2?.release as string)?.p99Ms).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('drains: a long request to the old release finishes after the switch; one past the bound is closed and counted', async () => {
    const v1Client = await clientOn('version v1');
    await moveTo(split());
    const slow = get('/cgi-bin/slow?2', v1Client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await moveTo(allV2());
    const drained = await proxy.drain(app, 10);
    expect(await slow).toBe('200 slow v1 done');
    expect(drained?.releases).toEqual([{ release: releases.v1?.release, ms: expect.any(Number), closed: 0 }]);

    await moveTo(split());
    const tooSlow = get('/cgi-bin/slow?30', v1Client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await moveTo(allV2());
    const cut = await proxy.drain(app, 1);
    expect(cut?.releases).toEqual([{ release: releases.v1?.release, ms: expect.any(Number), closed: 1 }]);
    expect(await tooSlow).not.toBe('200 slow v1 done');
    expect(await get('/', v1Client)).toBe('200 version v2');
  }, 120_000);
});

async function hostPort(container: ReturnType<ReturnType<typeof engine>['getContainer']>): Promise<number> {
  const info = await container.inspect();
  return Number(info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort);
}

/** A User-Agent whose bucket goes to the release that answers `body` under the 75/25 split. */
async function clientOn(body: string): Promise<string> {
  await moveTo(split());
  for (let i = 0; i < 100; i++) {
    const name = `drain-client/${i}`;
    if ((await get('/', name)) === `200 ${body}`) return name;
  }
  throw new Error(`no client lands on ${body}`);
}
