import { createHash } from 'node:crypto';
import { ConfigError, NothingToDo, type Source } from '../errors';
import type { EventInfo } from './event';
import { parseHost } from './hosts';
import { cpuLimit, memoryLimit } from './resources';
import type { SettingName } from './settings';
import type { Config, PreviewSettings, PreviewTarget } from './types';
import { asBoolean, asInteger, asKeyValues, asList, asString } from './values';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS = ['number', 'app', 'branch'];
const LABEL_MAX = 63;

export function previewApp(base: string, number: number): string {
  return `${base}-pr-${number}`;
}

/** Refuses an app name ending in -pr-<digits>: prune-previews would take it for a preview of another app. */
export function checkAppName(app: string, source: Source): void {
  const reserved = /^(.+)-pr-[0-9]+$/.exec(app);
  if (!reserved) return;
  throw new ConfigError(
    `"${app}" ends in -pr-<number>, which names previews of pull requests (of ${reserved[1]}): choose another app name`,
    source,
  );
}

/** The number of the PR an app name belongs to, when it is a preview of `base`. */
export function previewNumber(base: string, app: string): number | undefined {
  const match = new RegExp(`^${base}-pr-([1-9][0-9]{0,9})$`).exec(app);
  return match ? Number(match[1]) : undefined;
}

/**
 * Whether this event deploys (or removes) a preview. Refuses a fork's PR for every command unless forks
 * are allowed (with previews off it would deploy the PR's code as production, with production secrets);
 * a closed fork PR is NothingToDo: nothing was deployed for it.
 */
export function decidePreview(
  settings: PreviewSettings,
  event: EventInfo,
  base: string,
  baseSource: Source,
): PreviewTarget | undefined {
  const pr = event.pullRequest;
  if (settings.mode === 'true' && !settings.domain) {
    throw new ConfigError('preview is true: set preview-domain, e.g. pr-{number}.preview.example.com', {
      kind: 'input',
      name: 'preview-domain',
    });
  }
  if (pr?.fork && !settings.allowForks) refuseFork(pr, event.action === 'closed', settings.allowForksSource);
  if (!pr || settings.mode === 'false' || !settings.domain) return undefined;
  const remove = event.action === 'closed';
  const app = previewApp(base, pr.number);
  if (app.length > LABEL_MAX) {
    throw new ConfigError(
      `the preview app name ${app} is longer than ${LABEL_MAX} characters: choose a shorter app name`,
      baseSource,
    );
  }
  const domain = previewDomain(settings.domain, { number: pr.number, app: base, branch: pr.headRef });
  return { number: pr.number, base, app, domain, remove };
}

function refuseFork(pr: NonNullable<EventInfo['pullRequest']>, closed: boolean, source: Source): never {
  if (closed)
    throw new NothingToDo(`pull request #${pr.number} comes from a fork: nothing was deployed for it`);
  throw new ConfigError(
    `pull request #${pr.number} comes from a fork (${pr.headRepo || 'a deleted repository'}): its code would ` +
      'run on your servers, so Baton does nothing for it (whatever the command and preview setting). Set ' +
      'preview-allow-forks: true to allow this (read "Previews of pull requests from forks" in the README first)',
    source,
  );
}

/** Refuses a preview host name that is the production domain (e.g. {branch}.example.com and branch www). */
export function checkPreviewHost(target: PreviewTarget, domain: string, settings: PreviewSettings): void {
  if (target.remove || !target.domain || target.domain !== domain.toLowerCase()) return;
  throw new ConfigError(
    `the preview of pull request #${target.number} would be served at ${target.domain}, the production ` +
      'domain (input "domain"): Baton does not deploy it. Rename the branch or change preview-domain',
    settings.domainSource,
  );
}

/** Checks a preview-domain template: known placeholders, one that tells PRs apart, a valid result. */
export function checkPreviewDomain(template: string, source: Source): void {
  if (!template) return;
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.includes(name as string)) {
      throw new ConfigError(
        `unknown placeholder {${name}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
        source,
      );
    }
  }
  if (!/\{(?:number|branch)\}/.test(template)) {
    throw new ConfigError(
      `"${template}" needs {number} or {branch}, so that each pull request gets its own host name`,
      source,
    );
  }
  const sample = previewDomain(template, { number: 12345, app: 'app', branch: 'feature-x' });
  if (!isDomain(sample)) {
    throw new ConfigError(`"${template}" does not make a valid host name (e.g. ${sample})`, source);
  }
}

/**
 * Fills the template. {branch} becomes a DNS label; one that is not the branch name verbatim gets a short
 * hash of the name (Feature/X and feature_x get different labels), and a label too long is shortened.
 */
export function previewDomain(
  template: string,
  values: { number: number; app: string; branch: string },
): string {
  const slug = branchSlug(values.branch);
  const fill = (branch: string) =>
    template
      .replace(PLACEHOLDER, (_, name: string) =>
        name === 'number' ? String(values.number) : name === 'app' ? values.app : branch,
      )
      .toLowerCase();
  const domain = fill(slug);
  const excess = Math.max(...domain.split('.').map((label) => label.length)) - LABEL_MAX;
  if (excess <= 0 || !template.includes('{branch}')) return domain;
  const hash = branchHash(values.branch);
  const kept = dnsLabel(values.branch)
    .slice(0, Math.max(0, slug.length - excess - hash.length - 1))
    .replace(/-+$/, '');
  return fill(kept ? `${kept}-${hash}` : hash);
}

/**
 * A branch name as a DNS label: a-z, 0-9 and single dashes. A name that had to change gets a hash of it,
 * so two branches never share a label: feature-x stays, Feature/X becomes feature-x-<hash>.
 */
export function branchSlug(branch: string): string {
  const label = dnsLabel(branch);
  if (label && label === branch) return label;
  return `${label || 'b'}-${branchHash(branch)}`;
}

function dnsLabel(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function branchHash(branch: string): string {
  return createHash('sha256').update(branch).digest('hex').slice(0, 6);
}

export function isDomain(text: string): boolean {
  return /^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(
    text,
  );
}

/**
 * The configuration of one PR's preview: its app, host name and GitHub environment; the preview hosts,
 * env and resources; and no production secret unless preview-inherit-secrets is set. Pure.
 */
export function applyPreview(config: Config, target: PreviewTarget): Config {
  const settings = config.previews;
  const env = { ...config.env, ...settings.env };
  const secrets = settings.inheritSecrets ? { ...config.secrets, ...settings.secrets } : settings.secrets;
  for (const key of Object.keys(secrets)) {
    if (key in env) {
      throw new ConfigError(
        `${key} is both a variable (env or preview-env) and a secret of previews`,
        settings.secretsSource,
      );
    }
  }
  return {
    ...config,
    app: target.app,
    environment: `pr-${target.number}`,
    domain: target.domain,
    // The production certificate is not valid for a preview's host name: previews stay on plain HTTP
    // (the ACME webroot location stays; it is harmless).
    proxy: withoutTls(config.proxy),
    hosts: settings.hosts.length ? settings.hosts : config.hosts,
    env,
    secrets,
    resources: {
      memory: settings.resources.memory || config.resources.memory,
      cpus: settings.resources.cpus || config.resources.cpus,
    },
    preview: target,
  };
}

function withoutTls(proxy: Config['proxy']): Config['proxy'] {
  const plain = { ...proxy };
  delete plain.tls;
  return plain;
}

type Getter = (name: SettingName) => { value: unknown; source: Source };

/** Reads and checks the preview-* settings (and max-previews). */
export function readPreviewSettings(get: Getter): PreviewSettings {
  const str = (name: SettingName) => asString(get(name).value, get(name).source);
  const mode = str('preview').toLowerCase();
  if (mode !== 'auto' && mode !== 'true' && mode !== 'false') {
    throw new ConfigError(
      `"${mode}" is not a preview mode; expected auto, true or false`,
      get('preview').source,
    );
  }
  const domain = str('preview-domain').toLowerCase();
  checkPreviewDomain(domain, get('preview-domain').source);
  const hosts = get('preview-hosts');
  return {
    mode,
    domain,
    domainSource: get('preview-domain').source,
    hosts: asList(hosts.value, hosts.source).map((text) => parseHost(text, hosts.source)),
    env: asKeyValues(get('preview-env').value, get('preview-env').source),
    secrets: asKeyValues(get('preview-secrets').value, get('preview-secrets').source, true),
    secretsSource: get('preview-secrets').source,
    inheritSecrets: asBoolean(get('preview-inherit-secrets').value, get('preview-inherit-secrets').source),
    allowForks: asBoolean(get('preview-allow-forks').value, get('preview-allow-forks').source),
    allowForksSource: get('preview-allow-forks').source,
    max: asInteger(get('max-previews').value, get('max-previews').source, 0, 1000),
    resources: {
      memory: memoryLimit(str('preview-memory'), get('preview-memory').source),
      cpus: cpuLimit(str('preview-cpus'), get('preview-cpus').source),
    },
  };
}
