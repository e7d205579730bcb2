import { describe, expect, it } from 'vitest';
import { run } from '../../../src/runtime/docker-cli/commands';
import { loadConfig } from '../../../src/config';
import { releaseId } from '../../../src/model/release';
import { planDeploy } from '../../../src/plan/deploy';
import { describeRoute } from '../../../src/commands/plan';
import { renderSite } from '../../../src/proxy/nginx/site';
import { CONTEXT, fakeSources, MINIMAL, SHA } from '../support';

const NOW = new Date('2024-03-05T14:07:09.123Z');
const RELEASE = '20240305-140709-0123456';

function plan(inputs: Record<string, string> = {}, context = CONTEXT) {
  const config = loadConfig(fakeSources({ ...MINIMAL, ...inputs }, {}, context));
  return planDeploy(config, context, NOW);
}

describe('releaseId', () => {
  it('is YYYYMMDD-HHMMSS-<sha7> in UTC', () => {
    expect(releaseId(NOW, SHA)).toBe(RELEASE);
    expect(releaseId(new Date('2031-01-02T03:04:05Z'), 'fedcba9876543210')).toBe('20310102-030405-fedcba9');
    expect(releaseId(new Date('2024-12-31T23:59:59.999+02:00'), SHA)).toBe('20241231-215959-0123456');
  });

  it('is only the time without a commit', () => {
    expect(releaseId(NOW, '')).toBe('20240305-140709');
  });

  it('sorts in time order', () => {
    const ids = [
      '2024-03-05T14:07:09Z',
      '2024-03-05T14:07:10Z',
      '2024-11-01T00:00:00Z',
      '2025-01-01T00:00:00Z',
    ].map((time) => releaseId(new Date(time), SHA));
    expect([...ids].sort()).toEqual(ids);
  });

  it('adds -2, -3 … for later deploys of the same commit in the same second', () => {
    expect(releaseId(NOW, SHA, 1)).toBe(RELEASE);
    expect(releaseId(NOW, SHA, 2)).toBe(`${RELEASE}-2`);
    expect(releaseId(NOW, SHA, 3)).toBe(`${RELEASE}-3`);
  });
});

describe('planDeploy', () => {
  it('names the release, the container and its labels', () => {
    const p = plan();
    expect(p.app).toBe('web');
    expect(p.release).toBe(RELEASE);
    expect(p.release).toMatch(/^\d{8}-\d{6}-[0-9a-f]{7}$/);
    expect(p.container.name).toBe(`web-${RELEASE}`);
    expect(p.container.labels).toMatchObject({
      'baton.app': 'web',
      'baton.release': RELEASE,
      'baton.commit': SHA,
    });
    expect(Object.keys(p.container.labels).sort()).toEqual([
      'baton.actor',
      'baton.app',
      'baton.commit',
      'baton.ref',
      'baton.release',
      'baton.run-url',
    ]);
    expect(p.container.appPort).toBe(80);
  });

  it('tags a built image with the full commit SHA', () => {
    const p = plan({ image: 'registry.example.com:5000/acme/web' });
    expect(p.image).toBe(`registry.example.com:5000/acme/web:${SHA}`);
    expect(p.container.image).toBe(p.image);
    expect(p.build).toEqual({
      context: '.',
      dockerfile: './Dockerfile',
      args: {},
      labels: {
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/acme/web',
      },
      target: '',
      cacheFrom: [],
      cacheTo: [],
      secrets: {},
    });
  });

  it('carries target, cache and build secrets to the build, and build secrets nowhere else', () => {
    const p = plan({
      target: 'prod',
      'cache-from': 'type=gha\ntype=registry,ref=r.io/a:cache',
      'cache-to': 'type=gha,mode=max',
      'build-secrets': 'NPM_TOKEN=npm-secret-77',
    });
    expect(p.build).toMatchObject({
      target: 'prod',
      cacheFrom: ['type=gha', 'type=registry,ref=r.io/a:cache'],
      cacheTo: ['type=gha,mode=max'],
      secrets: { NPM_TOKEN: 'npm-secret-77' },
    });
    expect(JSON.stringify({ ...p, build: undefined })).not.toContain('npm-secret-77');
    expect(JSON.stringify(run(p.container))).not.toContain('npm-secret-77');
  });

  it('deploys an existing image as given, without a build', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    expect(plan({ build: 'false', image: 'nginx:1.25' })).toMatchObject({
      image: 'nginx:1.25',
      build: undefined,
    });
    expect(plan({ build: 'false', image: `ghcr.io/acme/web:1.0@${digest}` }).image).toBe(
      `ghcr.io/acme/web@${digest}`,
    );
  });

  it('passes PORT to the app, and lets the user env override it', () => {
    expect(plan().container.env).toEqual({ PORT: '80' });
    expect(plan({ 'app-port': '3000', env: 'NODE_ENV=production' }).container.env).toEqual({
      PORT: '3000',
      NODE_ENV: 'production',
    });
    expect(plan({ 'app-port': '3000', env: 'PORT=8080' }).container.env).toEqual({ PORT: '8080' });
  });

  it('puts secrets only in the env file, never in the container env or the docker run argv', () => {
    const secrets = { DB_PASSWORD: 's3cr3t-db-pass', API_TOKEN: 'tok_9f8e7d6c', EMPTYISH: 'x' };
    const p = plan({
      env: 'NODE_ENV=production',
      secrets: Object.entries(secrets)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n'),
    });
    expect(p.envFile).toEqual({
      path: `/var/lib/baton/web/${RELEASE}.env`,
      content: 'DB_PASSWORD=s3cr3t-db-pass\nAPI_TOKEN=tok_9f8e7d6c\nEMPTYISH=x\n',
    });
    expect(p.container.envFile).toBe(p.envFile?.path);
    expect(p.container.env).toEqual({ PORT: '80', NODE_ENV: 'production' });

    const argv = run(p.container);
    expect(argv).toContain('--env-file');
    expect(argv[argv.indexOf('--env-file') + 1]).toBe(p.envFile?.path);
    const visible = [
      JSON.stringify(p.container),
      ...argv,
      renderSite({ ...p.route, upstreams: [{ port: 1234, weight: 1 }] }),
      p.url,
      JSON.stringify(p.build),
    ];
    for (const value of ['s3cr3t-db-pass', 'tok_9f8e7d6c']) {
      for (const text of visible) expect(text).not.toContain(value);
    }
  });

  it('has no env file without secrets', () => {
    const p = plan({ env: 'A=1' });
    expect(p.envFile).toBeUndefined();
    expect(p.container.envFile).toBeUndefined();
    expect(run(p.container)).not.toContain('--env-file');
  });

  it('logs in to the registry only with both a username and a password', () => {
    expect(plan().registry).toBeUndefined();
    expect(plan({ build: 'false', image: 'nginx:1.25' }).registry).toBeUndefined();
    expect(
      plan({ image: 'registry.example.com/acme/web', 'registry-username': 'bot' }).registry,
    ).toBeUndefined();
    expect(plan({ 'github-token': 'ghs_abc' }).registry).toEqual({
      server: 'ghcr.io',
      username: 'octocat',
      password: 'ghs_abc',
    });
    expect(
      plan({ image: 'registry.example.com/acme/web', 'registry-username': 'bot', 'registry-password': 'pw' })
        .registry,
    ).toEqual({ server: 'registry.example.com', username: 'bot', password: 'pw' });
  });

  it('derives the host paths from the state dir and app', () => {
    const p = plan({ app: 'shop', 'state-dir': '/srv/baton/' });
    expect(p.appDir).toBe('/srv/baton/shop');
    expect(p.dockerConfigDir).toBe(`/srv/baton/shop/docker-config-${p.release}`);
  });

  it('routes the domain, lowercased, on the listen address, naming the release', () => {
    const p = plan({ domain: 'Web.Example.com', 'nginx-listen': '8080' });
    expect(p.route).toEqual({ app: 'web', release: RELEASE, domain: 'web.example.com', listen: '8080' });
  });

  it('carries TLS and the ACME webroot into the route, and makes the URL https://', () => {
    const tls = {
      'tls-certificate': '/etc/ssl/web/fullchain.pem',
      'tls-certificate-key': '/etc/ssl/web/privkey.pem',
    };
    const p = plan({ ...tls, 'acme-webroot': '/var/www/acme' });
    expect(p.route).toEqual({
      app: 'web',
      release: RELEASE,
      domain: 'web.example.com',
      listen: '80',
      tls: { certificate: '/etc/ssl/web/fullchain.pem', key: '/etc/ssl/web/privkey.pem', listen: '443' },
      acmeWebroot: '/var/www/acme',
    });
    expect(p.url).toBe('https://web.example.com');
    expect(plan({ ...tls, 'tls-listen': '127.0.0.1:8443' }).url).toBe('https://web.example.com:8443');
    expect(plan({ 'acme-webroot': '/var/www/acme' }).url).toBe('http://web.example.com');
  });

  it('says in the plan command whether nginx serves HTTPS, and where ACME challenges come from', () => {
    expect(describeRoute(plan())).toEqual(['- serve http://web.example.com over plain HTTP on 80']);
    const tls = plan({
      'tls-certificate': '/etc/ssl/web/fullchain.pem',
      'tls-certificate-key': '/etc/ssl/web/privkey.pem',
      'acme-webroot': '/var/www/acme',
    });
    expect(describeRoute(tls)).toEqual([
      '- serve https://web.example.com over HTTPS on 443 (certificate /etc/ssl/web/fullchain.pem, key /etc/ssl/web/privkey.pem); plain HTTP on 80 redirects to it (301)',
      '- serve ACME challenges (/.well-known/acme-challenge/) from /var/www/acme over plain HTTP',
    ]);
  });

  it('carries the readiness, retire delay, hosts and URL', () => {
    const p = plan({
      domain: 'Web.Example.com',
      'ready-path': '/healthz',
      'ready-timeout': '30',
      'retire-after': '5',
    });
    expect(p.url).toBe('http://web.example.com');
    expect(p.checks.suite.source).toBe('default');
    expect(p.checks.suite.startup[0]).toMatchObject({
      kind: 'path',
      path: '/healthz',
      status: 'ready',
      budget: 30,
    });
    expect(p.retireAfterSeconds).toBe(5);
    expect(p.hosts).toEqual([{ user: 'deploy', host: '203.0.113.10', port: 22 }]);
  });

  it('is deterministic for the same config, context and time', () => {
    const a = plan({ secrets: 'A=b' });
    const b = plan({ secrets: 'A=b' });
    expect(a).toEqual(b);
  });
});
