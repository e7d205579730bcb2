import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { resolve } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { removeApp } from './support/docker';
import { hostInputs, readTestHost, ROOT } from './support/host';

// HTTPS with a certificate issued by a real ACME server through Baton's own site file: pebble (Debian's
// package, started by scripts/test-acme) validates HTTP-01 on this test host's nginx, certbot answers
// with --webroot into `acme-webroot`, and the next deploy serves the certificate it got.

const host = readTestHost();
const app = 'tls';
const domain = `${app}.test`;
// Host k of the pool has nginx on 8088 + k - 1 (support/host-pool.ts): its own pebble and HTTPS port.
const offset = Number(host.NGINX_PORT) - 8088;
const httpPort = Number(host.NGINX_PORT);
const httpsPort = 8443 + offset;
const webroot = `${host.BATON_TEST_ROOT}/acme-webroot`;
const certbotDir = `${host.BATON_TEST_ROOT}/certbot`;
const live = `${certbotDir}/config/live/${domain}`;

interface Acme {
  ACME_DIRECTORY: string;
  ACME_MANAGEMENT: string;
  ACME_CA_BUNDLE: string;
  ACME_HTTP_PORT: string;
}

function startAcme(): Acme {
  const envFile = execFileSync(resolve(ROOT, 'scripts/test-acme'), ['up'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      BATON_TEST_ACME_ROOT: offset ? `/tmp/baton-test-acme-${offset + 1}` : '/tmp/baton-test-acme',
      BATON_TEST_ACME_PORT: String(14000 + offset),
      BATON_TEST_ACME_MANAGEMENT_PORT: String(15000 + offset),
      BATON_TEST_ACME_DNS_PORT: String(16053 + offset),
      BATON_TEST_ACME_CHALLTESTSRV_PORT: String(17055 + offset),
      BATON_TEST_NGINX_PORT: host.NGINX_PORT,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1) as string;
  const values: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)='(.*)'$/.exec(line.trim());
    if (match?.[1]) values[match[1]] = match[2] ?? '';
  }
  return values as unknown as Acme;
}

function deploy(version: string, extra: Record<string, string>): Promise<ActionRun> {
  return runAction(
    { ...hostInputs(host, app), 'build-args': `VERSION=${version}`, 'acme-webroot': webroot, ...extra },
    { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: version.slice(-1).repeat(40) },
  );
}

/** How many ACME tokens (not our probe) nginx served for the domain with 200, from its access log. */
function challengesServed(): number {
  const log = readFileSync(`${host.BATON_TEST_ROOT}/nginx/access.log`, 'utf8');
  const line = new RegExp(`"${domain}" "GET /\\.well-known/acme-challenge/[\\w-]{20,} HTTP/1\\.1" 200 `, 'g');
  return log.match(line)?.length ?? 0;
}

/** certbot as a user would run it on the host, with its state in certbotDir, against pebble. */
function certbot(acme: Acme, args: string[]) {
  const dirs = ['--config-dir', `${certbotDir}/config`, '--work-dir', `${certbotDir}/work`];
  const result = spawnSync(
    'certbot',
    [...args, ...dirs, '--logs-dir', `${certbotDir}/logs`, '--server', acme.ACME_DIRECTORY, '-n'],
    { encoding: 'utf8', env: { ...process.env, REQUESTS_CA_BUNDLE: acme.ACME_CA_BUNDLE }, timeout: 120_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** GET `path` over plain HTTP with Host: domain; no redirects followed. */
function httpGet(path: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((done, fail) => {
    const request = http.get(
      { host: '127.0.0.1', port: httpPort, path, headers: { Host: domain }, agent: false, timeout: 5000 },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () =>
          done({ status: response.statusCode ?? 0, location: response.headers.location, body }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', fail);
  });
}

/** GET `path` over HTTPS with SNI and Host domain, verifying the chain against `ca` only. */
function httpsGet(path: string, ca: string): Promise<{ status: number; body: string; serial: string }> {
  return new Promise((done, fail) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path,
        servername: domain,
        headers: { Host: domain },
        ca,
        agent: false,
        timeout: 5000,
      },
      (response) => {
        const serial = (response.socket as tls.TLSSocket).getPeerCertificate().serialNumber;
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => done({ status: response.statusCode ?? 0, body, serial }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', fail);
  });
}

/** The TLS handshake alone: whether it verifies against `ca` for `domain`, and what ALPN agreed. */
function handshake(ca: string | undefined): Promise<{ authorized: boolean; error?: string; alpn: string }> {
  return new Promise((done, fail) => {
    const socket = tls.connect(
      {
        host: '127.0.0.1',
        port: httpsPort,
        servername: domain,
        ALPNProtocols: ['h2', 'http/1.1'],
        rejectUnauthorized: false,
        ...(ca ? { ca } : {}),
      },
      () => {
        const error = socket.authorizationError;
        done({
          authorized: socket.authorized,
          error: error ? String(error) : undefined,
          alpn: String(socket.alpnProtocol),
        });
        socket.end();
      },
    );
    socket.on('error', fail);
  });
}

describe('HTTPS with a certificate from a real ACME server (pebble) through certbot --webroot', () => {
  let acme: Acme;
  let root = '';
  let servedBefore = 0;
  const token = 'baton-e2e-probe';

  beforeAll(async () => {
    acme = startAcme();
    servedBefore = challengesServed(); // the access log keeps earlier runs' lines
    await removeApp(host, app);
    for (const dir of [webroot, certbotDir]) rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${webroot}/.well-known/acme-challenge`, { recursive: true });
    writeFileSync(`${webroot}/.well-known/acme-challenge/${token}`, 'probe-answer');
  });

  afterAll(async () => {
    // The site names files under certbotDir: gone with it, so that no later reload on this host fails.
    await removeApp(host, app);
  });

  it('deploys over plain HTTP with an ACME webroot: the app and the challenge directory are served', async () => {
    const run = await deploy('v1', {});
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.url).toBe(`http://${domain}`);
    expect(await httpGet('/')).toMatchObject({ status: 200, body: 'version v1\n' });
    expect(await httpGet(`/.well-known/acme-challenge/${token}`)).toMatchObject({
      status: 200,
      body: 'probe-answer',
    });
  });

  it('certbot certonly --webroot gets a certificate from pebble through the site Baton wrote', () => {
    const started = Date.now();
    const result = certbot(acme, [
      'certonly',
      '--webroot',
      '-w',
      webroot,
      '-d',
      domain,
      '--register-unsafely-without-email',
      '--agree-tos',
    ]);
    console.log(`certbot certonly --webroot: exit ${result.status} in ${Date.now() - started} ms`);
    expect(result.status, result.output).toBe(0);
    // Pebble's VA fetched the token from nginx over plain HTTP, as Let's Encrypt would.
    expect(challengesServed()).toBeGreaterThan(servedBefore);
    expect(readFileSync(`${live}/fullchain.pem`, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it("deploys with the certificate: HTTPS verifies against pebble's root and serves the app", async () => {
    const run = await deploy('v2', {
      'tls-certificate': `${live}/fullchain.pem`,
      'tls-certificate-key': `${live}/privkey.pem`,
      'tls-listen': `127.0.0.1:${httpsPort}`,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.url).toBe(`https://${domain}:${httpsPort}`);

    // Pebble's issuing root is new at every start: fetch it from its management port.
    root = execFileSync(
      'curl',
      ['-fsS', '--cacert', acme.ACME_CA_BUNDLE, `${acme.ACME_MANAGEMENT}/roots/0`],
      {
        encoding: 'utf8',
      },
    );
    expect(root).toContain('BEGIN CERTIFICATE');
    const answer = await httpsGet('/', root);
    expect(answer).toMatchObject({ status: 200, body: 'version v2\n' });

    const verified = await handshake(root);
    expect(verified).toMatchObject({ authorized: true, alpn: 'h2' });
    // The check is real: without pebble's root the chain does not verify.
    expect((await handshake(undefined)).authorized).toBe(false);
  });

  it('plain HTTP redirects to HTTPS (301), but for the ACME challenges', async () => {
    expect(await httpGet('/some/path?x=1')).toMatchObject({
      status: 301,
      location: `https://${domain}:${httpsPort}/some/path?x=1`,
    });
    expect(await httpGet(`/.well-known/acme-challenge/${token}`)).toMatchObject({
      status: 200,
      body: 'probe-answer',
    });
  });

  it('certbot renews through the same site, and nginx serves the new certificate after the deploy hook reloads it', async () => {
    const before = (await httpsGet('/', root)).serial;
    const served = challengesServed();
    // Without a terminal, renew sleeps a random time first (as its timer does): not here.
    const result = certbot(acme, [
      'renew',
      '--force-renewal',
      '--no-random-sleep-on-renew',
      '--deploy-hook',
      host.NGINX_RELOAD_COMMAND,
    ]);
    expect(result.status, result.output).toBe(0);
    // Validated anew (pebble reuses no authorization here), over plain HTTP that now redirects the rest.
    expect(challengesServed()).toBeGreaterThan(served);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((wait) => setTimeout(wait, 100));
      after = (await httpsGet('/', root)).serial;
    }
    expect(after).not.toBe(before);
    expect(await httpsGet('/', root)).toMatchObject({ status: 200, body: 'version v2\n' });
  });

  it('refuses a certificate path that does not exist on the host at the hand-over; HTTPS keeps serving', async () => {
    const run = await deploy('v3', {
      'tls-certificate': `${live}/missing.pem`,
      'tls-certificate-key': `${live}/privkey.pem`,
      'tls-listen': `127.0.0.1:${httpsPort}`,
    });
    expect(run.code).not.toBe(0);
    expect(run.visible).toContain('nginx rejected the new configuration');
    expect(run.visible).toContain('cannot load certificate');
    expect(run.visible).toContain(`${live}/missing.pem`);
    expect(await httpsGet('/', root)).toMatchObject({ status: 200, body: 'version v2\n' });
  });
});
