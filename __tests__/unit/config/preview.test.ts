import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import {
  branchSlug,
  checkPreviewDomain,
  isDomain,
  previewDomain,
  previewNumber,
} from '../../../src/config/preview';
import type { EventInfo } from '../../../src/config/event';
import { NothingToDo } from '../../../src/errors';
import { planDeploy } from '../../../src/plan/deploy';
import { CONTEXT, configError, fakeSources, MINIMAL } from '../support';

const TEMPLATE = 'pr-{number}.preview.example.com';

function prEvent(action: string, pr: Partial<NonNullable<EventInfo['pullRequest']>> = {}): EventInfo {
  const headSha = 'b'.repeat(40);
  return {
    name: 'pull_request',
    action,
    sha: headSha,
    pullRequest: { number: 42, headSha, headRef: 'feature/login', headRepo: 'acme/web', fork: false, ...pr },
  };
}

const PUSH: EventInfo = { name: 'push', action: '', sha: CONTEXT.sha };

function load(inputs: Record<string, string>, event: EventInfo = prEvent('opened')) {
  return loadConfig({ ...fakeSources({ ...MINIMAL, 'preview-domain': TEMPLATE, ...inputs }), event });
}

function errorOf(inputs: Record<string, string>, event: EventInfo = prEvent('opened')) {
  return configError(() => load(inputs, event)).message;
}

describe('previewDomain', () => {
  it('fills {number}, {app} and a DNS-safe {branch}', () => {
    const values = { number: 7, app: 'web', branch: 'Feature/Login_Page' };
    expect(previewDomain(TEMPLATE, values)).toBe('pr-7.preview.example.com');
    expect(previewDomain('{app}-{branch}.example.com', values)).toMatch(
      /^web-feature-login-page-[0-9a-f]{6}\.example\.com$/,
    );
    expect(previewDomain('{branch}.example.com', { ...values, branch: 'fix-2' })).toBe('fix-2.example.com');
  });

  it('shortens a long branch to fit a 63-character label, keeping branches apart with a hash', () => {
    const long = (tail: string) => ({
      number: 1,
      app: 'web',
      branch: `${'very-long-branch-name-'.repeat(5)}${tail}`,
    });
    const a = previewDomain('{branch}.pr.example.com', long('a'));
    const b = previewDomain('{branch}.pr.example.com', long('b'));
    expect(a.split('.')[0]?.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(isDomain(a) && isDomain(b)).toBe(true);
    expect(a).toMatch(/^very-long-branch-name-.*-[0-9a-f]{6}\.pr\.example\.com$/);
  });

  it('names a branch with no usable character by its hash', () => {
    expect(branchSlug('日本語')).toMatch(/^b-[0-9a-f]{6}$/);
    expect(branchSlug('--Fix--It--')).toMatch(/^fix-it-[0-9a-f]{6}$/);
  });

  it('always gives a valid host name for 2000 random branch names', () => {
    const alphabet = 'aZ09-_/.~ é日😀';
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 120);
      const branch = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      for (const template of [
        '{branch}.p.example.com',
        'pr-{number}-{branch}.example.com',
        '{app}--{branch}.x.io',
      ]) {
        const domain = previewDomain(template, { number: i + 1, app: 'web', branch });
        expect(isDomain(domain), `${template} with ${JSON.stringify(branch)} gave ${domain}`).toBe(true);
      }
    }
  });
});

describe('checkPreviewDomain', () => {
  const source = { kind: 'input' as const, name: 'preview-domain' };
  const message = (template: string) => configError(() => checkPreviewDomain(template, source)).message;

  it('accepts a template that tells PRs apart', () => {
    expect(() => checkPreviewDomain(TEMPLATE, source)).not.toThrow();
    expect(() => checkPreviewDomain('{branch}.{app}.example.com', source)).not.toThrow();
  });

  it('refuses unknown placeholders, templates without {number} or {branch}, and invalid host names', () => {
    expect(message('pr-{pr}.example.com')).toBe(
      'input "preview-domain": unknown placeholder {pr}; use {number}, {app}, {branch}',
    );
    expect(message('{app}.preview.example.com')).toMatch(/needs \{number\} or \{branch\}/);
    expect(message('pr_{number}.example.com')).toMatch(/does not make a valid host name \(e\.g\. pr_12345/);
  });

  it('names the baton.yml line of a bad template', () => {
    const error = configError(() =>
      loadConfig(fakeSources(MINIMAL, { 'baton.yml': 'app: web\npreview-domain: "{app}.x.com"\n' })),
    );
    expect(error.message).toMatch(/^baton\.yml:2 \(preview-domain\): /);
  });
});

describe('previews in loadConfig', () => {
  it('deploys a PR as its own app, host name and transient GitHub environment', () => {
    const config = load({});
    expect(config).toMatchObject({
      command: 'deploy',
      app: 'web-pr-42',
      domain: 'pr-42.preview.example.com',
      environment: 'pr-42',
      preview: { number: 42, base: 'web', app: 'web-pr-42', remove: false },
    });
  });

  it('keeps previews on plain HTTP: the production certificate is not for their host names', () => {
    const tls = {
      'tls-certificate': '/etc/ssl/web/fullchain.pem',
      'tls-certificate-key': '/etc/ssl/web/key.pem',
    };
    const preview = load({ ...tls, 'acme-webroot': '/var/www/acme' });
    expect(preview.proxy.tls).toBeUndefined();
    expect(preview.proxy.acmeWebroot).toBe('/var/www/acme');
    expect(load(tls, PUSH).proxy.tls?.certificate).toBe('/etc/ssl/web/fullchain.pem');
  });

  it('stays production for pushes, and for PRs when preview is false or no preview-domain is set', () => {
    expect(load({}, PUSH).app).toBe('web');
    expect(load({ preview: 'false' }).app).toBe('web');
    expect(load({ 'preview-domain': '' }).preview).toBeUndefined();
  });

  it('requires preview-domain when preview is true', () => {
    expect(errorOf({ preview: 'true', 'preview-domain': '' }, PUSH)).toMatch(
      /^input "preview-domain": preview is true/,
    );
    expect(errorOf({ preview: 'sometimes' })).toMatch(/^input "preview": "sometimes" is not a preview mode/);
  });

  it('removes the preview when the PR is closed, merged or not', () => {
    expect(load({}, prEvent('closed'))).toMatchObject({ command: 'destroy', app: 'web-pr-42' });
  });

  it('gives previews their own hosts, env, secrets and limits, and no production secret by default', () => {
    const config = load({
      env: 'MODE=production\nLOG=info',
      'preview-env': 'MODE=preview',
      secrets: 'DATABASE_URL=postgres://prod',
      'preview-secrets': 'DATABASE_URL=postgres://preview',
      'preview-hosts': 'deploy@198.51.100.7',
      memory: '1g',
      cpus: '2',
      'preview-memory': '256m',
    });
    expect(config.env).toEqual({ MODE: 'preview', LOG: 'info' });
    expect(config.secrets).toEqual({ DATABASE_URL: 'postgres://preview' });
    expect(config.hosts).toEqual([{ user: 'deploy', host: '198.51.100.7', port: 22 }]);
    expect(config.resources).toEqual({ memory: '256m', cpus: '2' });
    expect(load({ secrets: 'API_KEY=prod' }).secrets).toEqual({});
  });

  it('passes production secrets on only with preview-inherit-secrets (preview-secrets win)', () => {
    const config = load({
      secrets: 'API_KEY=prod\nDATABASE_URL=postgres://prod',
      'preview-secrets': 'DATABASE_URL=postgres://preview',
      'preview-inherit-secrets': 'true',
    });
    expect(config.secrets).toEqual({ API_KEY: 'prod', DATABASE_URL: 'postgres://preview' });
  });

  it('refuses a name that is both a preview variable and a preview secret', () => {
    expect(errorOf({ 'preview-env': 'TOKEN=x', 'preview-secrets': 'TOKEN=y' })).toBe(
      'input "preview-secrets": TOKEN is both a variable (env or preview-env) and a secret of previews',
    );
  });

  it('needs no production hosts or domain for a preview with preview-hosts', () => {
    const config = load({ hosts: '', domain: '', 'preview-hosts': 'deploy@198.51.100.7' });
    expect(config.hosts).toHaveLength(1);
    expect(errorOf({ hosts: '' }, prEvent('opened'))).toMatch(/^input "hosts": at least one host/);
  });

  it('refuses a fork PR by default, before asking for secrets a fork PR does not get', () => {
    const fork = prEvent('opened', { fork: true, headRepo: 'mallory/web' });
    const message = errorOf({ 'ssh-key': '' }, fork);
    expect(message).toMatch(
      /^input "preview-allow-forks": pull request #42 comes from a fork \(mallory\/web\)/,
    );
    expect(message).toContain('Set preview-allow-forks: true');
    expect(load({ 'preview-allow-forks': 'true' }, fork).app).toBe('web-pr-42');
  });

  it('has nothing to do when a fork PR without a preview is closed', () => {
    const fork = prEvent('closed', { fork: true, headRepo: 'mallory/web' });
    expect(() => load({ 'ssh-key': '' }, fork)).toThrow(NothingToDo);
  });

  it('refuses an app name too long to carry -pr-NUMBER', () => {
    expect(errorOf({ app: 'a'.repeat(60) })).toMatch(
      /^input "app": the preview app name a+-pr-42 is longer than 63/,
    );
  });

  it('checks limits and max-previews', () => {
    expect(errorOf({ memory: 'lots' })).toMatch(/^input "memory": "lots" is not a memory size/);
    expect(errorOf({ memory: '1m' })).toMatch(/below Docker's minimum of 6m/);
    expect(errorOf({ 'preview-cpus': '0' })).toMatch(/^input "preview-cpus": "0" is not a CPU count/);
    expect(errorOf({ 'max-previews': '-1' })).toMatch(/^input "max-previews": expected a whole number/);
    expect(load({ 'max-previews': '0' }).previews.max).toBe(0);
  });
});

describe('the plan of a preview', () => {
  it('labels its containers with the app they preview and the PR, and applies its limits', () => {
    const config = load({ 'preview-memory': '256m', 'preview-cpus': '0.5' });
    const plan = planDeploy(config, CONTEXT, new Date('2026-11-23T10:00:00Z'));
    expect(plan.container.labels).toMatchObject({
      'baton.app': 'web-pr-42',
      'baton.preview-of': 'web',
      'baton.pr': '42',
    });
    expect(plan.container).toMatchObject({ memory: '256m', cpus: '0.5' });
    expect(plan.route).toMatchObject({ app: 'web-pr-42', domain: 'pr-42.preview.example.com' });
    expect(plan.url).toBe('http://pr-42.preview.example.com');
    expect(planDeploy(load({}, PUSH), CONTEXT, new Date()).container.labels).not.toHaveProperty('baton.pr');
  });
});

describe('previewNumber', () => {
  it('tells the previews of an app from other apps', () => {
    expect(previewNumber('web', 'web-pr-12')).toBe(12);
    expect(previewNumber('web', 'web-pr-012')).toBeUndefined();
    expect(previewNumber('web', 'web-api-pr-1')).toBeUndefined();
    expect(previewNumber('web', 'web')).toBeUndefined();
    expect(previewNumber('web', 'web-pr-1.env')).toBeUndefined();
  });
});
