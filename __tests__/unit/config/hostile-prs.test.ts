import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config';
import { branchSlug, previewDomain } from '../../../src/config/preview';
import { NothingToDo } from '../../../src/errors';
import { asKeyValues } from '../../../src/config/values';
import { readEvent } from '../../../src/config/event';
import { serverNames } from '../../../src/proxy/nginx/site';
import { Secrets } from '../../../src/secrets';
import { deepMerge, payload } from '../../e2e/support/github-payloads';
import { CONTEXT, configError, fakeSources, MINIMAL } from '../support';

// Pull requests are hostile input: a fork's code, a branch name, a comment, an app name, a secret's bytes.

/** A real pull_request payload (from @octokit/webhooks-examples), from mallory's fork of acme/web. */
function forkEvent(name: string, action: string) {
  const example = deepMerge(payload('pull_request', action), {
    pull_request: {
      number: 31,
      head: { sha: 'f'.repeat(40), ref: 'main', repo: { full_name: 'mallory/web' } },
      base: { repo: { full_name: 'acme/web' } },
    },
  });
  return readEvent(name, example, CONTEXT);
}

function load(inputs: Record<string, string>, event = forkEvent('pull_request_target', 'opened')) {
  return loadConfig({ ...fakeSources({ ...MINIMAL, app: 'web', ...inputs }), event });
}

const PREVIEW_MODES: Record<string, string>[] = [
  {},
  { 'preview-domain': 'pr-{number}.example.com' },
  { preview: 'false' },
];

describe('a PR from a fork', () => {
  it('is refused for every command, previews on or off, naming preview-allow-forks', () => {
    for (const name of ['pull_request_target', 'pull_request']) {
      for (const command of ['deploy', 'rollback', 'plan', 'status', 'destroy', 'prune-previews']) {
        for (const previews of PREVIEW_MODES) {
          const message = configError(() =>
            load({ command, ...previews }, forkEvent(name, 'opened')),
          ).message;
          expect(message).toMatch(
            /^input "preview-allow-forks": pull request #31 comes from a fork \(mallory\/web\)/,
          );
        }
      }
    }
  });

  it('is deployed only with preview-allow-forks: true; a closed one has nothing to do', () => {
    expect(load({ 'preview-allow-forks': 'true' }).app).toBe('web');
    expect(() => load({}, forkEvent('pull_request_target', 'closed'))).toThrow(NothingToDo);
  });
});

describe('preview host names from branch names', () => {
  const template = '{branch}.example.com';
  const domainOf = (branch: string) => previewDomain(template, { number: 1, app: 'web', branch });

  it('refuses a preview host name equal to the production domain, naming preview-domain', () => {
    const event = { ...forkEvent('pull_request', 'opened') };
    event.pullRequest = {
      ...(event.pullRequest as NonNullable<typeof event.pullRequest>),
      fork: false,
      headRef: 'www',
    };
    const error = configError(() =>
      load({ domain: 'www.example.com', 'preview-domain': template }, event),
    ).message;
    expect(error).toMatch(
      /^input "preview-domain": the preview of pull request #31 would be served at www\.example\.com/,
    );
  });

  it('gives branches that differ only in case or punctuation different names', () => {
    const names = ['Feature/X', 'feature_x', 'feature-x', 'FEATURE-X', 'feature--x'].map(domainOf);
    expect(new Set(names).size).toBe(names.length);
    expect(domainOf('feature-x')).toBe('feature-x.example.com');
    expect(branchSlug('Feature/X')).toMatch(/^feature-x-[0-9a-f]{6}$/);
  });

  it('reads the server names of the other sites on a host', () => {
    const output =
      '/etc/nginx/conf.d/baton-web.conf:    server_name www.example.com;\n' +
      '/etc/nginx/conf.d/shop.conf:  server_name Shop.Example.com  api.example.com; # two\n' +
      '/etc/nginx/conf.d/old.conf:  # server_name old.example.com;\n';
    expect(serverNames(output)).toEqual([
      { file: '/etc/nginx/conf.d/baton-web.conf', names: ['www.example.com'] },
      { file: '/etc/nginx/conf.d/shop.conf', names: ['shop.example.com', 'api.example.com'] },
    ]);
  });
});

describe('app names', () => {
  const push = { name: 'push', action: '', sha: CONTEXT.sha };

  it('refuses names ending in -pr-<number>, kept for previews, naming the input', () => {
    expect(configError(() => load({ app: 'web-pr-2' }, push)).message).toMatch(
      /^input "app": "web-pr-2" ends in -pr-<number>, which names previews of pull requests \(of web\)/,
    );
    for (const app of ['web-pr', 'web-pr-x', 'pr-2', 'web-pr-2b']) expect(load({ app }, push).app).toBe(app);
  });
});

describe('secret values', () => {
  const source = { kind: 'input' as const, name: 'secrets' };
  afterEach(() => vi.restoreAllMocks());

  it('are kept verbatim, trailing spaces too; only the \\r of CRLF goes', () => {
    expect(asKeyValues('A=x  \r\nB= y \nC=z\t\n', source, true)).toEqual({ A: 'x  ', B: ' y ', C: 'z\t' });
    expect(asKeyValues({ A: 'x  ' }, source, true)).toEqual({ A: 'x  ' });
  });

  it('are all masked by the runner, however short', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const secrets = new Secrets();
    for (const value of ['q', 'zz', 'pad  ']) secrets.register(value);
    vi.restoreAllMocks();
    const masks = written
      .join('')
      .split(/\r?\n/)
      .filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toEqual(
      expect.arrayContaining(['::add-mask::q', '::add-mask::zz', '::add-mask::pad  ', '::add-mask::pad']),
    );
  });

  it('scrub short secrets from our messages only where they stand alone', () => {
    const secrets = new Secrets();
    secrets.register('k');
    expect(secrets.redact('token k was refused; keep the rest')).toBe('token *** was refused; keep the rest');
  });
});
