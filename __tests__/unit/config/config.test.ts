import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { CONTEXT, configError, fakeSources, MINIMAL, runnerInputs, SSH_KEY } from '../support';

const load = (inputs: Record<string, string>, files: Record<string, string> = {}) =>
  loadConfig(fakeSources({ ...MINIMAL, ...inputs }, files));

/** Loads with only what is given (no MINIMAL), and returns the ConfigError message. */
const errorFrom = (inputs: Record<string, string>, files: Record<string, string> = {}) =>
  configError(() => loadConfig(fakeSources(inputs, files))).message;

const badInput = (inputs: Record<string, string>, files: Record<string, string> = {}) =>
  errorFrom({ ...MINIMAL, ...inputs }, files);

describe('loadConfig defaults', () => {
  it('fills every default from a minimal config (hosts, ssh-key, domain)', () => {
    const { checks, ...config } = load({});
    expect(checks.timing).toBe('fast');
    expect(checks.suite.source).toBe('default');
    expect(checks.suite.startup.map((check) => check.kind)).toEqual(['path', 'uptime']);
    expect(config).toEqual({
      command: 'deploy',
      app: 'web',
      image: { registry: 'ghcr.io', repository: 'ghcr.io/acme/web' },
      build: {
        enabled: true,
        context: '.',
        dockerfile: './Dockerfile',
        args: {},
        target: '',
        cacheFrom: [],
        cacheTo: [],
        secrets: {},
      },
      registry: { server: 'ghcr.io', username: 'octocat', password: '' },
      hosts: [{ user: 'deploy', host: '203.0.113.10', port: 22 }],
      ssh: { privateKey: SSH_KEY.trim(), passphrase: '', knownHosts: '', trustFirstUse: false },
      appPort: 80,
      domain: 'web.example.com',
      env: {},
      secrets: {},
      readiness: { path: '/', timeoutSeconds: 60 },
      retireAfterSeconds: 60,
      canary: {
        skip: 'auto',
        skipSource: { kind: 'input', name: 'skip-canary' },
        steps: [10, 25, 50, 100],
        stepSeconds: 60,
        checkSeconds: 10,
        failureLimit: 2,
        onQuiet: 'promote',
        thresholds: {
          minRequests: 20,
          maxErrorRate: 0.01,
          maxErrorRateRise: 0.005,
          maxP99Ms: 500,
          maxP99Ratio: 1.2,
          p99SlackMs: 20,
        },
        cooldownSeconds: 300,
        cooldownWatch: 'runner',
        cooldownToken: '',
      },
      proxy: {
        listen: '80',
        confDir: '/etc/nginx/conf.d',
        handover: 'sockets',
        runDir: '/run/baton',
        logDir: '/var/log/nginx',
        testCommand: ['nginx', '-t'],
        reloadCommand: ['nginx', '-s', 'reload'],
      },
      stateDir: '/var/lib/baton',
      keepReleases: 5,
      lockTimeoutSeconds: 600,
      environment: 'production',
      rollbackTo: '',
      githubToken: '',
      confirm: '',
      resources: { memory: '', cpus: '' },
      previews: expect.objectContaining({ mode: 'auto', domain: '', max: 10, allowForks: false }),
      warnings: [],
    });
    expect(config.preview).toBeUndefined();
    expect(config.image.tag).toBeUndefined();
    expect(config.image.digest).toBeUndefined();
  });

  it('reads baton.yml from the workspace by default, and works without it', () => {
    const sources = fakeSources(MINIMAL);
    loadConfig(sources);
    expect(sources.readPaths).toEqual(['baton.yml', './app.json', './CHECKS']);
  });

  it('derives app and image from the repository name', () => {
    const config = loadConfig(fakeSources(MINIMAL, {}, { ...CONTEXT, repository: 'Acme/My_Web.Site' }));
    expect(config.app).toBe('my-web-site');
    expect(config.image.repository).toBe('ghcr.io/acme/my_web.site');
  });

  it('defaults the ghcr.io login to the actor and github-token', () => {
    const config = load({ 'github-token': 'ghs_runtoken' });
    expect(config.registry).toEqual({ server: 'ghcr.io', username: 'octocat', password: 'ghs_runtoken' });
  });

  it('prefers explicit registry credentials for ghcr.io', () => {
    const config = load({
      'github-token': 'ghs_runtoken',
      'registry-username': 'bot',
      'registry-password': 'pat_123',
    });
    expect(config.registry).toEqual({ server: 'ghcr.io', username: 'bot', password: 'pat_123' });
  });

  it('does not use the actor or github-token for other registries', () => {
    const config = load({ 'github-token': 'ghs_runtoken', image: 'registry.example.com/acme/web' });
    expect(config.registry).toEqual({ server: 'registry.example.com', username: '', password: '' });
  });

  it('derives the Dockerfile from the context', () => {
    expect(load({ context: 'services/api/' }).build).toMatchObject({
      context: 'services/api/',
      dockerfile: 'services/api/Dockerfile',
    });
    expect(load({ context: 'api', dockerfile: 'docker/api.Dockerfile' }).build.dockerfile).toBe(
      'docker/api.Dockerfile',
    );
  });

  it('parses hosts given one per line or comma-separated, skipping comments', () => {
    const config = load({ hosts: 'a@h1.example.com, b@h2.example.com:2222\n# staging\n\n10.0.0.3\n' });
    expect(config.hosts).toEqual([
      { user: 'a', host: 'h1.example.com', port: 22 },
      { user: 'b', host: 'h2.example.com', port: 2222 },
      { user: 'root', host: '10.0.0.3', port: 22 },
    ]);
  });

  it('parses env, secrets and build-args lines, ignoring blanks and comments', () => {
    const config = load({
      env: 'NODE_ENV=production\n\n# comment\nGREETING=a=b c\r\n',
      secrets: 'DB_PASSWORD=pa ss=word\n',
      'build-args': 'VERSION=1.2.3',
    });
    expect(config.env).toEqual({ NODE_ENV: 'production', GREETING: 'a=b c' });
    expect(config.secrets).toEqual({ DB_PASSWORD: 'pa ss=word' });
    expect(config.build.args).toEqual({ VERSION: '1.2.3' });
  });

  it('lowercases the domain and strips trailing slashes from directories', () => {
    const config = load({
      domain: 'Web.Example.COM',
      'nginx-conf-dir': '/etc/nginx/sites/',
      'state-dir': '/srv/baton//',
    });
    expect(config.domain).toBe('web.example.com');
    expect(config.proxy.confDir).toBe('/etc/nginx/sites');
    expect(config.stateDir).toBe('/srv/baton');
  });

  it('splits nginx commands like a shell, keeping quoted arguments whole', () => {
    const config = load({
      'nginx-test-command': 'sudo nginx -t -c "/etc/my nginx/nginx.conf"',
      'nginx-reload-command': "systemctl reload 'nginx'",
    });
    expect(config.proxy.testCommand).toEqual(['sudo', 'nginx', '-t', '-c', '/etc/my nginx/nginx.conf']);
    expect(config.proxy.reloadCommand).toEqual(['systemctl', 'reload', 'nginx']);
  });

  it('accepts an existing image with a tag or digest when build is false', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(load({ build: 'false', image: 'nginx:1.25' }).image).toEqual({
      registry: 'docker.io',
      repository: 'nginx',
      tag: '1.25',
    });
    expect(load({ build: 'false', image: `ghcr.io/acme/web@${digest}` }).image).toEqual({
      registry: 'ghcr.io',
      repository: 'ghcr.io/acme/web',
      digest,
    });
  });
});

describe('loadConfig sources', () => {
  it('lets inputs win over baton.yml', () => {
    const config = load(
      { 'app-port': '3000' },
      { 'baton.yml': 'app-port: 8080\nretire-after: 5\ndomain: file.example.com\n' },
    );
    expect(config.appPort).toBe(3000);
    expect(config.retireAfterSeconds).toBe(5);
    expect(config.domain).toBe('web.example.com');
  });

  it('uses baton.yml for settings not given as inputs', () => {
    const config = loadConfig(
      fakeSources(
        { 'ssh-key': SSH_KEY, hosts: 'deploy@h1' },
        { 'baton.yml': 'app-port: 3000\ndomain: file.example.com\n' },
      ),
    );
    expect(config.appPort).toBe(3000);
    expect(config.domain).toBe('file.example.com');
  });

  it('accepts YAML types in baton.yml: numbers, booleans, lists and mappings', () => {
    const file = [
      'app: shop',
      'domain: shop.example.com',
      'build: false',
      'image: registry.example.com:5000/shop/api:1.2.3',
      'app-port: 3000',
      'ready-timeout: 120',
      'retire-after: 0',
      'ready-path: /healthz',
      'env:',
      '  NODE_ENV: production',
      '  WORKERS: 4',
      '  DEBUG: false',
      'build-args:',
      '  - A=1',
      'nginx-listen: 127.0.0.1:8080',
      'registry-username: bot',
      '',
    ].join('\n');
    const config = loadConfig(fakeSources({ 'ssh-key': SSH_KEY, hosts: 'deploy@h1' }, { 'baton.yml': file }));
    expect(config).toMatchObject({
      app: 'shop',
      domain: 'shop.example.com',
      build: { enabled: false, args: { A: '1' } },
      image: {
        registry: 'registry.example.com:5000',
        repository: 'registry.example.com:5000/shop/api',
        tag: '1.2.3',
      },
      registry: { server: 'registry.example.com:5000', username: 'bot', password: '' },
      appPort: 3000,
      readiness: { path: '/healthz', timeoutSeconds: 120 },
      retireAfterSeconds: 0,
      env: { NODE_ENV: 'production', WORKERS: '4', DEBUG: 'false' },
      proxy: { listen: '127.0.0.1:8080' },
    });
  });

  // The runner sets INPUT_* for every default action.yml declares: those must not hide baton.yml.
  it('lets baton.yml set every setting that has a default, with the runner passing action.yml defaults', () => {
    const file = [
      'environment: staging',
      'build: false',
      'image: registry.example.com/shop:1.0',
      'context: app',
      'app-port: 3000',
      'skip-checks: true',
      'checks-timing: dokku',
      'default-checks-wait: 3',
      'ready-path: /up',
      'ready-timeout: 90',
      'retire-after: 5',
      'nginx-listen: 8080',
      'keep-releases: 2',
      'lock-timeout: 30',
      'preview: false',
      'max-previews: 3',
    ].join('\n');
    const config = loadConfig(fakeSources(runnerInputs(MINIMAL), { 'baton.yml': file }));
    expect(config).toMatchObject({
      environment: 'staging',
      build: { enabled: false, context: 'app' },
      image: { tag: '1.0' },
      appPort: 3000,
      readiness: { path: '/up', timeoutSeconds: 90 },
      retireAfterSeconds: 5,
      proxy: { listen: '8080' },
      keepReleases: 2,
      lockTimeoutSeconds: 30,
      previews: { mode: 'false', max: 3 },
      checks: { timing: 'dokku', suite: { source: 'skipped' } },
    });
  });

  it('with the runner passing action.yml defaults: no baton.yml is fine, inputs win over the file', () => {
    expect(loadConfig(fakeSources(runnerInputs(MINIMAL))).command).toBe('deploy');
    const config = loadConfig(
      fakeSources(runnerInputs({ ...MINIMAL, 'app-port': '4000' }), { 'baton.yml': 'app-port: 3000\n' }),
    );
    expect(config.appPort).toBe(4000);
  });

  it('treats an empty key in baton.yml as not set', () => {
    expect(load({}, { 'baton.yml': 'app-port:\nenv:\n' }).appPort).toBe(80);
  });

  it('accepts an empty baton.yml', () => {
    expect(load({}, { 'baton.yml': '# nothing yet\n' }).app).toBe('web');
  });

  it('reads the file named by the config input', () => {
    const sources = fakeSources(
      { ...MINIMAL, config: 'deploy/prod.yml' },
      { 'baton.yml': 'app-port: 1111\n', 'deploy/prod.yml': 'app-port: 2222\n' },
    );
    expect(loadConfig(sources).appPort).toBe(2222);
    expect(sources.readPaths[0]).toBe('deploy/prod.yml');
  });

  it('names the given config file in its errors', () => {
    expect(badInput({ config: 'deploy/prod.yml' }, { 'deploy/prod.yml': 'app: web\napp-port: lots\n' })).toBe(
      'deploy/prod.yml:2 (app-port): expected a whole number, got "lots"',
    );
  });
});

describe('loadConfig errors name the input or file:line', () => {
  it('is a ConfigError', () => {
    expect(configError(() => load({ 'app-port': 'x' }))).toBeInstanceOf(ConfigError);
  });

  it('refuses a port that is not a number', () => {
    expect(badInput({ 'app-port': 'eighty' })).toBe(
      'input "app-port": expected a whole number, got "eighty"',
    );
    expect(badInput({ 'app-port': '80.5' })).toMatch(/^input "app-port": expected a whole number/);
    expect(badInput({ 'app-port': '-1' })).toMatch(/^input "app-port": expected a whole number/);
  });

  it('refuses a port out of range', () => {
    expect(badInput({ 'app-port': '70000' })).toBe('input "app-port": expected 1..65535, got 70000');
    expect(badInput({ 'app-port': '0' })).toBe('input "app-port": expected 1..65535, got 0');
    expect(badInput({}, { 'baton.yml': 'app: web\n\napp-port: 65536\n' })).toBe(
      'baton.yml:3 (app-port): expected 1..65535, got 65536',
    );
  });

  it('refuses out-of-range timeouts', () => {
    expect(badInput({ 'ready-timeout': '0' })).toMatch(/^input "ready-timeout": expected 1\.\.3600/);
    expect(badInput({ 'retire-after': '86401' })).toMatch(/^input "retire-after": expected 0\.\.86400/);
  });

  it('refuses a bad host string', () => {
    expect(badInput({ hosts: 'deploy@h1\na b' })).toBe(
      'input "hosts": "a b" is not a host; expected user@host or user@host:port',
    );
    expect(badInput({ hosts: 'deploy@h1:70000' })).toMatch(/^input "hosts": "deploy@h1:70000": port must be/);
    expect(badInput({ 'preview-hosts': 'ok@h1, bad host' })).toMatch(
      /^input "preview-hosts": "bad host" is not a host/,
    );
  });

  it('requires hosts', () => {
    expect(errorFrom({ 'ssh-key': SSH_KEY, domain: 'a.example.com' })).toBe(
      'input "hosts": at least one host is required (user@host[:port])',
    );
    expect(badInput({ hosts: ' , \n# none\n' })).toMatch(/^input "hosts": at least one host is required/);
  });

  it('requires an ssh-key', () => {
    expect(errorFrom({ hosts: 'h1', domain: 'a.example.com' })).toBe(
      'input "ssh-key": an SSH private key is required',
    );
    expect(badInput({ 'ssh-key': '  \n ' })).toBe('input "ssh-key": an SSH private key is required');
  });

  it('requires a domain', () => {
    expect(errorFrom({ hosts: 'h1', 'ssh-key': SSH_KEY })).toBe(
      'input "domain": a domain is required: nginx routes it to the app',
    );
  });

  it('refuses a bad domain, including nginx syntax smuggled into it', () => {
    for (const domain of [
      'not a domain',
      'exa_mple.com',
      '-web.example.com',
      'web..example.com',
      'a.com;include /etc/x',
    ]) {
      expect(badInput({ domain })).toBe(`input "domain": "${domain}" is not a domain name`);
    }
    expect(badInput({ domain: '' }, { 'baton.yml': 'app: web\ndomain: "bad domain"\n' })).toBe(
      'baton.yml:2 (domain): "bad domain" is not a domain name',
    );
  });

  it('refuses a bad app name', () => {
    for (const app of ['My App', '-web', 'web-', 'web_app', 'a'.repeat(64)]) {
      expect(badInput({ app })).toBe(
        `input "app": "${app}" is not a valid app name: use a-z, 0-9 and -, at most 63 characters`,
      );
    }
    expect(load({ app: 'a'.repeat(63) }).app).toBe('a'.repeat(63));
  });

  it('refuses an unknown command', () => {
    expect(badInput({ command: 'redeploy' })).toBe(
      'input "command": unknown command "redeploy"; expected one of: deploy, rollback, destroy, plan, status, prune-previews',
    );
  });

  it('refuses an image with a tag or digest when Baton builds', () => {
    expect(badInput({ image: 'ghcr.io/acme/web:1.0' })).toMatch(
      /^input "image": give the repository without a tag when Baton builds/,
    );
    expect(badInput({ build: 'true', image: `ghcr.io/acme/web@sha256:${'b'.repeat(64)}` })).toMatch(
      /^input "image": give the repository without a tag/,
    );
  });

  it('refuses an image without a tag or digest when build is false', () => {
    expect(badInput({ build: 'false', image: 'ghcr.io/acme/web' })).toBe(
      'input "image": with build: false, give the tag or digest to deploy, e.g. ghcr.io/acme/web:1.4.2',
    );
    // The default image (ghcr.io/OWNER/REPO) has no tag either.
    expect(badInput({ build: 'false' })).toMatch(/^input "image": with build: false/);
  });

  it('refuses a bad image reference', () => {
    expect(badInput({ image: 'ghcr.io/Acme/Web' })).toBe(
      'input "image": "ghcr.io/Acme/Web" is not an image reference: use lowercase letters, digits and . _ - between slashes',
    );
    expect(badInput({}, { 'baton.yml': 'app: web\nimage: ghcr.io/acme/web:bad!tag\nbuild: false\n' })).toBe(
      'baton.yml:2 (image): "ghcr.io/acme/web:bad!tag" is not an image reference: bad tag "bad!tag"',
    );
  });

  it('refuses an unknown key in baton.yml, on its line', () => {
    expect(badInput({}, { 'baton.yml': '# Baton settings\napp: web\n\naplication: web\n' })).toBe(
      'baton.yml:4 (aplication): unknown setting "aplication"',
    );
  });

  it.each([
    'ssh-key',
    'ssh-key-passphrase',
    'registry-password',
    'secrets',
    'preview-secrets',
    'build-secrets',
    'github-token',
  ])('refuses the secret %s in baton.yml', (key) => {
    const message = badInput({}, { 'baton.yml': `app: web\n${key}: top-secret-value\n` });
    expect(message).toBe(
      `baton.yml:2 (${key}): "${key}" cannot be set in baton.yml: it is secret: pass it as an input from a GitHub secret`,
    );
    expect(message).not.toContain('top-secret-value');
  });

  it.each(['command', 'config', 'release', 'confirm'])('refuses %s in baton.yml', (key) => {
    expect(badInput({}, { 'baton.yml': `app: web\n${key}: x\n` })).toBe(
      `baton.yml:2 (${key}): "${key}" cannot be set in baton.yml: it says what this run does: set it as an input in the workflow`,
    );
  });

  // baton.yml comes from the checked-out commit: a pull request could otherwise widen what is trusted.
  it.each([
    ['preview-allow-forks', 'true'],
    ['preview-inherit-secrets', 'true'],
    ['trust-first-use', 'true'],
    ['known-hosts', '"evil.example.com ssh-ed25519 AAAA"'],
    ['hosts', 'root@evil.example.com'],
    ['preview-hosts', 'root@evil.example.com'],
    ['nginx-test-command', 'curl evil.example.com'],
    ['nginx-reload-command', '[sh, -c, "id"]'],
    ['nginx-conf-dir', '/etc/cron.d'],
    ['state-dir', '/root/.ssh'],
  ])('refuses %s in baton.yml: it decides trust', (key, value) => {
    expect(badInput({}, { 'baton.yml': `app: web\n\n${key}: ${value}\n` })).toBe(
      `baton.yml:3 (${key}): "${key}" cannot be set in baton.yml: it decides what the workflow trusts, and baton.yml comes from the checked-out commit (a pull request can change it): set it as an input in the workflow`,
    );
  });

  it('reports invalid YAML with its line', () => {
    expect(badInput({}, { 'baton.yml': 'app: web\ndomain: a.example.com\napp: other\n' })).toBe(
      'baton.yml:3: invalid YAML: Map keys must be unique',
    );
    expect(badInput({}, { 'baton.yml': 'app: web\ndomain: a.example.com\nhosts: @x\n' })).toMatch(
      /^baton\.yml:3: invalid YAML: /,
    );
  });

  it('refuses a top-level YAML value that is not a mapping', () => {
    expect(badInput({}, { 'baton.yml': '- app: web\n- domain: a.example.com\n' })).toBe(
      'baton.yml:1: expected a mapping of settings at the top level',
    );
    expect(badInput({}, { 'baton.yml': 'just some text\n' })).toBe(
      'baton.yml:1: expected a mapping of settings at the top level',
    );
  });

  it('refuses a setting of the wrong YAML type', () => {
    expect(badInput({}, { 'baton.yml': 'app:\n  name: web\n' })).toBe(
      'baton.yml:1 (app): expected a string, got a mapping',
    );
  });

  it('refuses an explicit config file that does not exist', () => {
    expect(badInput({ config: 'deploy/baton.yml' })).toBe(
      'input "config": config file "deploy/baton.yml" does not exist',
    );
  });

  it('refuses an env line without "="', () => {
    expect(badInput({ env: 'A=1\nNODE_ENV production' })).toBe('input "env": line 2: expected KEY=VALUE');
    expect(badInput({ env: '=value' })).toBe('input "env": line 1: expected KEY=VALUE');
  });

  it('refuses a bad variable name', () => {
    expect(badInput({ env: '1ABC=x' })).toBe(
      'input "env": line 1: "1ABC" is not a valid variable name (letters, digits and _)',
    );
  });

  it('refuses an env value with a newline', () => {
    expect(badInput({}, { 'baton.yml': 'app: web\nenv:\n  MOTD: |\n    line one\n    line two\n' })).toBe(
      'baton.yml:2 (env): the value of MOTD spans several lines; Docker env files cannot hold that',
    );
    expect(badInput({ env: 'A=one\rtwo' })).toMatch(/^input "env": the value of A spans several lines/);
  });

  it('refuses a KEY in both env and secrets, without showing the secret', () => {
    const message = badInput({ env: 'API_KEY=public', secrets: 'API_KEY=sk_live_abcdef' });
    expect(message).toBe('input "secrets": API_KEY is set in both env and secrets');
    expect(message).not.toContain('sk_live_abcdef');
  });

  it('does not echo the text of a malformed secrets line', () => {
    const secret = 'xK9#mQ2$vL7!pR4z';
    const message = badInput({ secrets: `DB_USER=app\n${secret}` });
    expect(message).toMatch(/^input "secrets": line 2:/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('xK9');
  });

  // Regression (was a bug in src/config/values.ts asKeyValues): the key is everything before the first '=', and the
  // "not a valid variable name" error quotes it. When the secret value itself contains '=' (base64
  // padding, URLs with query strings) and the separator is mistyped, the secret lands in the message.
  it('does not echo a secret containing "=" from a malformed secrets line', () => {
    for (const line of [
      'API_TOKEN dGhpcyBpcyBzZWNyZXQ=',
      'DATABASE_URL: postgres://app:hunter2pw@db/app?sslmode=require',
    ]) {
      const message = badInput({ secrets: line });
      expect(message).toMatch(/^input "secrets":/);
      expect(message).not.toContain('dGhpcyBpcyBzZWNyZXQ');
      expect(message).not.toContain('hunter2pw');
    }
  });

  it('refuses nginx commands that use shell syntax', () => {
    for (const command of [
      'nginx -t && reboot',
      'nginx -t; reboot',
      'nginx -t | tee /tmp/log',
      'nginx -t > /tmp/out',
      'nginx -t & reboot',
      'nginx -c /etc/nginx/*.conf -t',
      'nginx -t # comment',
    ]) {
      expect(badInput({ 'nginx-test-command': command })).toMatch(
        new RegExp(
          `^input "nginx-test-command": ${JSON.stringify(command).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} uses shell syntax`,
        ),
      );
    }
    expect(badInput({ 'nginx-reload-command': 'nginx -s reload || true' })).toMatch(
      /^input "nginx-reload-command": .* uses shell syntax/,
    );
  });

  it('refuses an empty nginx command list', () => {
    expect(badInput({ 'nginx-reload-command': '  ' })).toBe(
      'input "nginx-reload-command": expected a command, got nothing',
    );
  });

  it('refuses relative directories', () => {
    expect(badInput({ 'nginx-conf-dir': 'conf.d' })).toBe(
      'input "nginx-conf-dir": "conf.d" must be an absolute path',
    );
    expect(badInput({ 'state-dir': 'var/lib/baton' })).toBe(
      'input "state-dir": "var/lib/baton" must be an absolute path',
    );
  });

  it('reads the hand-over settings and refuses bad ones, naming the input', () => {
    expect(load({}).proxy).toMatchObject({
      handover: 'sockets',
      runDir: '/run/baton',
      logDir: '/var/log/nginx',
    });
    expect(load({ 'nginx-handover': 'reload' }).proxy.handover).toBe('reload');
    expect(badInput({ 'nginx-handover': 'symlinks' })).toBe(
      'input "nginx-handover": "symlinks" is not a hand-over; expected sockets or reload',
    );
    expect(badInput({ 'nginx-run-dir': 'run/baton' })).toBe(
      'input "nginx-run-dir": "run/baton" must be an absolute path',
    );
    expect(badInput({ 'nginx-run-dir': '/run/baton; include /etc/x' })).toMatch(
      /^input "nginx-run-dir": .* cannot be used in nginx's configuration/,
    );
    expect(badInput({ 'nginx-run-dir': `/run/${'x'.repeat(40)}` })).toMatch(
      /^input "nginx-run-dir": .* is too long \(at most 40 characters\)/,
    );
    expect(badInput({ 'nginx-log-dir': '/var/log/$host' })).toMatch(/^input "nginx-log-dir": /);
  });

  it('refuses a ready-path without a leading /', () => {
    expect(badInput({ 'ready-path': 'healthz' })).toMatch(
      /^input "ready-path": "healthz" must start with \//,
    );
  });

  it('accepts nginx listen values of the forms PORT and ADDRESS:PORT', () => {
    for (const listen of ['8080', '127.0.0.1:8080', '[::1]:8080', '[::]:80', '*:80']) {
      expect(load({ 'nginx-listen': listen }).proxy.listen).toBe(listen);
    }
  });

  it('refuses other nginx listen values, including nginx syntax smuggled into them', () => {
    for (const listen of [
      'eighty',
      '80 default_server',
      'localhost:80',
      '80; include /etc/passwd',
      '123456',
    ]) {
      expect(badInput({ 'nginx-listen': listen })).toBe(
        `input "nginx-listen": "${listen}" is not an nginx listen address; expected PORT or ADDRESS:PORT`,
      );
    }
  });

  // Regression (was a bug in src/config/index.ts listenAddress): the port is only checked to be 1-5 digits, so 0 and
  // 65536..99999 pass validation and only fail later, in `nginx -t` on the hosts after the new
  // container has started (see nginx.test.ts), instead of before any host is touched.
  it('refuses an nginx listen port out of range', () => {
    for (const listen of ['0', '70000', '127.0.0.1:99999']) {
      expect(badInput({ 'nginx-listen': listen })).toMatch(/^input "nginx-listen":/);
    }
  });

  it('accepts true/false/yes/no for trust-first-use and refuses anything else', () => {
    expect(load({ 'trust-first-use': 'true' }).ssh.trustFirstUse).toBe(true);
    expect(load({ 'trust-first-use': 'yes' }).ssh.trustFirstUse).toBe(true);
    expect(load({ 'trust-first-use': 'false' }).ssh.trustFirstUse).toBe(false);
    expect(load({ 'trust-first-use': 'no' }).ssh.trustFirstUse).toBe(false);
    expect(load({ 'trust-first-use': 'TRUE' }).ssh.trustFirstUse).toBe(true);
    expect(badInput({ 'trust-first-use': 'maybe' })).toBe(
      'input "trust-first-use": expected true or false, got "maybe"',
    );
    expect(badInput({ build: 'sometimes' })).toBe('input "build": expected true or false, got "sometimes"');
  });
});

describe('paths from the checkout stay in the workspace', () => {
  // baton.yml comes from the checked-out commit: a build context of / would put the runner's files
  // (its temp dir with Baton's registry login, say) into the image.
  it.each([
    ['context', '/'],
    ['context', '../..'],
    ['dockerfile', '/etc/passwd'],
    ['checks', 'app/../../CHECKS'],
    ['config', '/etc/passwd'],
  ])('refuses %s: %s', (name, value) => {
    expect(badInput({ [name]: value })).toBe(
      `input "${name}": "${value}" must be a path inside the workspace (relative, without ..)`,
    );
  });

  it('refuses them in baton.yml too, naming the line', () => {
    expect(badInput({}, { 'baton.yml': 'app: web\ncontext: /home/runner\n' })).toBe(
      'baton.yml:2 (context): "/home/runner" must be a path inside the workspace (relative, without ..)',
    );
  });

  it('accepts relative paths inside it', () => {
    expect(load({ context: 'services/api', dockerfile: 'services/api/Dockerfile.prod' }).build).toMatchObject(
      {
        context: 'services/api',
        dockerfile: 'services/api/Dockerfile.prod',
      },
    );
  });
});

describe('HTTPS and the ACME webroot', () => {
  const CERT = '/etc/letsencrypt/live/web.example.com/fullchain.pem';
  const KEY = '/etc/letsencrypt/live/web.example.com/privkey.pem';

  it('is off by default: no tls, no webroot', () => {
    const { proxy } = load({});
    expect(proxy.tls).toBeUndefined();
    expect(proxy.acmeWebroot).toBeUndefined();
  });

  it('reads the certificate, its key, the TLS listen address (443 by default) and the webroot', () => {
    const tls = { 'tls-certificate': CERT, 'tls-certificate-key': KEY };
    expect(load(tls).proxy.tls).toEqual({ certificate: CERT, key: KEY, listen: '443' });
    expect(load({ ...tls, 'tls-listen': '127.0.0.1:8443' }).proxy.tls?.listen).toBe('127.0.0.1:8443');
    expect(load({ 'acme-webroot': '/var/www/acme/' }).proxy.acmeWebroot).toBe('/var/www/acme');
  });

  it('refuses a certificate without its key, and a key without its certificate, naming both', () => {
    expect(badInput({ 'tls-certificate': CERT })).toBe(
      'input "tls-certificate": HTTPS needs both tls-certificate and tls-certificate-key: tls-certificate is set, tls-certificate-key is not',
    );
    expect(badInput({ 'tls-certificate-key': KEY })).toBe(
      'input "tls-certificate-key": HTTPS needs both tls-certificate and tls-certificate-key: tls-certificate-key is set, tls-certificate is not',
    );
  });

  it('refuses relative paths, and characters that could break out of an nginx directive', () => {
    expect(badInput({ 'tls-certificate': 'fullchain.pem', 'tls-certificate-key': KEY })).toBe(
      'input "tls-certificate": "fullchain.pem" must be an absolute path',
    );
    expect(badInput({ 'acme-webroot': 'www' })).toBe('input "acme-webroot": "www" must be an absolute path');
    for (const path of [
      '/etc/a b.pem',
      '/etc/a.pem;',
      '/etc/a.pem; include /etc/shadow',
      '/x}',
      '/x{',
      "/x'",
      '/x"',
      '/$host',
      '/x#',
      '/x\\y',
      '/x\ny',
      '/x\ty',
    ]) {
      expect(badInput({ 'tls-certificate': CERT, 'tls-certificate-key': path })).toMatch(
        /^input "tls-certificate-key": .* cannot be used in nginx's configuration: no whitespace/,
      );
      expect(badInput({ 'acme-webroot': path })).toMatch(/^input "acme-webroot": /);
    }
  });

  it('validates tls-listen as nginx-listen, and refuses one that overlaps nginx-listen', () => {
    const tls = { 'tls-certificate': CERT, 'tls-certificate-key': KEY };
    for (const listen of ['443 ssl', '443; include /x', '0', 'localhost:443']) {
      expect(badInput({ ...tls, 'tls-listen': listen })).toMatch(/^input "tls-listen": /);
    }
    expect(badInput({ 'tls-listen': '99999' })).toMatch(/^input "tls-listen": /);
    for (const [http, https] of [
      ['80', '80'],
      ['127.0.0.1:8080', '8080'],
      ['*:443', '127.0.0.1:443'],
      ['127.0.0.1:8443', '127.0.0.1:8443'],
    ] as const) {
      expect(badInput({ ...tls, 'nginx-listen': http, 'tls-listen': https })).toMatch(
        /^input "tls-listen": ".*" overlaps nginx-listen/,
      );
    }
    expect(
      load({ ...tls, 'nginx-listen': '127.0.0.1:443', 'tls-listen': '127.0.0.2:443' }).proxy.tls?.listen,
    ).toBe('127.0.0.2:443');
  });

  it('takes tls-listen from baton.yml, but not the paths nginx reads or serves (they decide trust)', () => {
    const tls = { 'tls-certificate': CERT, 'tls-certificate-key': KEY };
    expect(load(tls, { 'baton.yml': 'tls-listen: 8443\n' }).proxy.tls?.listen).toBe('8443');
    for (const key of ['tls-certificate', 'tls-certificate-key', 'acme-webroot']) {
      expect(badInput({}, { 'baton.yml': `${key}: /etc/shadow\n` })).toMatch(
        new RegExp(
          `^baton\\.yml:1 \\(${key}\\): "${key}" cannot be set in baton\\.yml: it decides what the workflow trusts`,
        ),
      );
    }
  });
});
