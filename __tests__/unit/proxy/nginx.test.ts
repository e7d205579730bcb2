import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route } from '../../../src/model/route';
import { NGINX, nginxTestSites } from '../support/nginx';
import { renderSite, siteFile, siteRelease, siteUpstreams } from '../../../src/proxy/nginx/site';

const WEB: Route = {
  app: 'web',
  release: '20240305-140709-0123456',
  domain: 'web.example.com',
  listen: '80',
  upstreams: [{ port: 49153, weight: 1 }],
};
const API: Route = {
  app: 'my-api-2',
  release: '20240305-150000-abcdef0',
  domain: '*.api.example.com',
  listen: '127.0.0.1:8080',
  upstreams: [{ port: 32768, weight: 1 }],
};

describe('siteFile', () => {
  it('is baton-<app>.conf in the conf dir', () => {
    expect(siteFile('/etc/nginx/conf.d', 'web')).toBe('/etc/nginx/conf.d/baton-web.conf');
  });
});

describe('renderSite', () => {
  const text = renderSite(WEB);

  it('routes the domain on the listen address to the loopback port', () => {
    expect(text).toContain('    listen 80;\n');
    expect(text).toContain('    server_name web.example.com;\n');
    expect(text).toContain('        proxy_pass http://127.0.0.1:49153;\n');
    expect(renderSite({ ...WEB, upstreams: [{ port: 40000, weight: 1 }] })).toContain(
      'proxy_pass http://127.0.0.1:40000;',
    );
  });

  it('names the app and release in a comment', () => {
    expect(text.split('\n')[0]).toBe(
      '# Managed by Baton: app web, release 20240305-140709-0123456. Rewritten at every deploy.',
    );
  });

  it('passes WebSocket upgrades and the forwarding headers', () => {
    expect(text).toContain('proxy_http_version 1.1;');
    expect(text).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(text).toContain('proxy_set_header Connection $baton_web_connection;');
    expect(text).toContain('map $http_upgrade $baton_web_connection {');
    expect(text).toContain('proxy_set_header Host $host;');
    expect(text).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(text).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
  });

  it('uses a map variable without "-" for app names with "-", one per app', () => {
    const api = renderSite(API);
    expect(api).toContain('map $http_upgrade $baton_my_api_2_connection {');
    expect(api).toContain('proxy_set_header Connection $baton_my_api_2_connection;');
    expect(api).not.toMatch(/\$baton_[a-z0-9_]*-/);
    expect(api).toContain('listen 127.0.0.1:8080;');
    expect(api).toContain('server_name *.api.example.com;');
  });
});

const WEIGHTED = [
  { port: 49153, weight: 9 },
  { port: 49154, weight: 1 },
];

describe('renderSite with several upstreams', () => {
  const text = renderSite({ ...API, upstreams: WEIGHTED });

  it('sends the requests to an upstream of its own, by weight', () => {
    expect(text).toContain('upstream baton_my_api_2 {\n');
    expect(text).toContain('    server 127.0.0.1:49153 weight=9;\n    server 127.0.0.1:49154 weight=1;\n');
    expect(text).toContain('        proxy_pass http://baton_my_api_2;\n');
  });

  it('is read back: the release and the upstreams', () => {
    expect(siteRelease(text)).toBe(API.release);
    expect(siteUpstreams(text)).toEqual(['127.0.0.1:49153', '127.0.0.1:49154']);
    expect(siteUpstreams(renderSite(WEB))).toEqual(['127.0.0.1:49153']);
    expect(siteUpstreams('server { listen 80; }')).toEqual([]);
  });
});

describe('renderSite with nginx -t', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a minimal nginx.conf that includes the sites in http {}, and runs nginx -t on it. */
  const nginxTest = (sites: Route[]) => nginxTestSites(sites.map((site) => renderSite(site)));

  it('has nginx installed', () => {
    expect(existsSync(NGINX), `${NGINX} is required for these tests`).toBe(true);
  });

  it('passes nginx -t for one app', () => {
    const result = nginxTest([WEB]);
    expect(result.output).toContain('syntax is ok');
    expect(result.status).toBe(0);
  });

  it('passes nginx -t for two apps at once (no duplicate map)', () => {
    // nginx -t accepts a map variable defined twice (the last one wins), so check the names too.
    const mapVariable = (site: Route) => /^map \$http_upgrade (\$\w+) \{$/m.exec(renderSite(site))?.[1];
    expect(mapVariable(WEB)).toBe('$baton_web_connection');
    expect(mapVariable(API)).toBe('$baton_my_api_2_connection');
    const result = nginxTest([WEB, API]);
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('passes nginx -t for a route with weighted upstreams, beside a one-upstream route', () => {
    const result = nginxTest([WEB, { ...API, upstreams: WEIGHTED }]);
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('passes nginx -t for HTTPS sites with ACME webroots, beside a plain one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-tls-'));
    dirs.push(dir);
    const { certificate, key } = selfSigned(dir, 'web.example.com');
    const tls = { certificate, key, listen: '127.0.0.1:8443' };
    const result = nginxTest([
      { ...WEB, listen: '127.0.0.1:8080', tls, acmeWebroot: dir },
      { ...API, tls, acmeWebroot: '/var/www/acme' },
      { ...WEB, app: 'plain', domain: 'plain.example.com', acmeWebroot: dir },
    ]);
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('fails nginx -t for an HTTPS site whose certificate is missing', () => {
    const tls = { certificate: '/nonexistent/fullchain.pem', key: '/nonexistent/privkey.pem', listen: '443' };
    const result = nginxTest([{ ...WEB, tls }]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('/nonexistent/fullchain.pem');
  });

  it('fails nginx -t for a broken site (the check can fail)', () => {
    const result = nginxTest([WEB, { ...API, listen: '99999' }]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('invalid port');
  });
});

/** A self-signed certificate and key for `domain`, made with openssl in `dir`. */
function selfSigned(dir: string, domain: string): { certificate: string; key: string } {
  const certificate = join(dir, 'fullchain.pem');
  const key = join(dir, 'privkey.pem');
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${domain}`].concat([
      '-keyout',
      key,
      '-out',
      certificate,
    ]),
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return { certificate, key };
}

const TLS = {
  certificate: '/etc/letsencrypt/live/web/fullchain.pem',
  key: '/etc/letsencrypt/live/web/privkey.pem',
};

describe('renderSite with TLS and an ACME webroot', () => {
  const serverBlocks = (text: string) => text.split(/^(?=server \{)/m).slice(1);

  it('without either: one server, no ACME location', () => {
    const text = renderSite(WEB);
    expect(serverBlocks(text)).toHaveLength(1);
    expect(text).not.toContain('acme-challenge');
    expect(text).not.toContain('ssl');
  });

  it('with an ACME webroot only: one server that serves the challenges and proxies the rest', () => {
    const text = renderSite({ ...WEB, acmeWebroot: '/var/www/acme' });
    expect(serverBlocks(text)).toHaveLength(1);
    expect(text).toContain(
      '    location ^~ /.well-known/acme-challenge/ {\n        root /var/www/acme;\n        default_type text/plain;\n    }\n',
    );
    expect(text).toContain('proxy_pass http://127.0.0.1:49153;');
    expect(text).not.toContain('return 301');
  });

  it('with TLS: HTTP redirects to HTTPS (but for ACME challenges), HTTPS proxies to the app', () => {
    const text = renderSite({ ...WEB, tls: { ...TLS, listen: '443' }, acmeWebroot: '/var/www/acme' });
    const [http, https] = serverBlocks(text) as [string, string];
    expect(serverBlocks(text)).toHaveLength(2);
    expect(http).toContain('    listen 80;\n    server_name web.example.com;\n');
    expect(http).toContain('    location / {\n        return 301 https://$host$request_uri;\n    }\n');
    expect(http).toContain('location ^~ /.well-known/acme-challenge/ {');
    expect(http.indexOf('acme-challenge')).toBeLessThan(http.indexOf('return 301'));
    expect(http).not.toContain('proxy_pass');
    expect(https).toContain('    listen 443 ssl http2;\n    server_name web.example.com;\n');
    expect(https).toContain(`    ssl_certificate ${TLS.certificate};\n    ssl_certificate_key ${TLS.key};\n`);
    expect(https).toContain('    ssl_protocols TLSv1.2 TLSv1.3;\n');
    expect(https).toContain('        proxy_pass http://127.0.0.1:49153;\n');
    expect(https).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(https).not.toContain('return 301');
  });

  it('redirects to the TLS port when it is not 443; no ACME location without a webroot', () => {
    const text = renderSite({ ...API, tls: { ...TLS, listen: '127.0.0.1:8443' } });
    expect(text).toContain('listen 127.0.0.1:8443 ssl http2;');
    expect(text).toContain('return 301 https://$host:8443$request_uri;');
    expect(text).not.toContain('acme-challenge');
  });

  it('is read back: the release and the upstreams, not the redirect', () => {
    const text = renderSite({ ...WEB, upstreams: WEIGHTED, tls: { ...TLS, listen: '443' } });
    expect(siteRelease(text)).toBe(WEB.release);
    expect(siteUpstreams(text)).toEqual(['127.0.0.1:49153', '127.0.0.1:49154']);
    expect(siteUpstreams(renderSite({ ...WEB, tls: { ...TLS, listen: '443' } }))).toEqual([
      '127.0.0.1:49153',
    ]);
  });
});

describe('siteRelease', () => {
  it('reads the release a rendered site file routes to; nothing from a foreign file', () => {
    const site = { app: 'web-pr-3', domain: 'x.test', listen: '80', upstreams: [{ port: 1, weight: 1 }] };
    expect(siteRelease(renderSite({ ...site, release: '20240305-140709-0123456-2' }))).toBe(
      '20240305-140709-0123456-2',
    );
    expect(siteRelease('server { listen 80; }')).toBeUndefined();
    expect(siteRelease(undefined)).toBeUndefined();
  });
});
