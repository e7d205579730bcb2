import { ConfigError, type Source } from '../errors';
import { parseAppJson } from './app-json';
import { parseChecksFile } from './checks-file';
import type { CheckSuite, HealthCheck } from './model';

export interface CheckSettings {
  /** `checks` input: a CHECKS file or an app.json, relative to the workspace; '' to look in the context. */
  file: string;
  fileSource: Source;
  healthcheckPath: string;
  healthcheckSource: Source;
  skip: boolean;
  context: string;
  readyPath: string;
  readyTimeout: number;
  defaultChecksWait: number;
}

export interface ResolvedChecks {
  suite: CheckSuite;
  warnings: string[];
}

/**
 * Decides which checks gate the hand-over, as Dokku would: app.json healthchecks, else a CHECKS file,
 * else the default (the container stays up for default-checks-wait seconds and answers HTTP). Pure.
 */
export function resolveChecks(
  settings: CheckSettings,
  readFile: (path: string) => string | undefined,
): ResolvedChecks {
  if (settings.skip) {
    return {
      suite: { source: 'skipped', sequential: false, startup: [], other: [] },
      warnings: [
        'skip-checks is set: traffic moves to the new container as soon as it starts, without any check',
      ],
    };
  }
  if (settings.healthcheckPath) {
    if (settings.file) {
      throw new ConfigError('set either healthcheck-path or checks, not both', settings.healthcheckSource);
    }
    return { suite: kamalSuite(settings), warnings: [] };
  }
  if (settings.file) {
    const text = readFile(settings.file);
    if (text === undefined) throw new ConfigError(`"${settings.file}" does not exist`, settings.fileSource);
    const suite = settings.file.toLowerCase().endsWith('.json')
      ? parseAppJson(text, settings.file)
      : parseChecksFile(text, settings.file);
    if (!suite) throw new ConfigError(`"${settings.file}" has no healthchecks.web list`, settings.fileSource);
    return withDefaults(suite, settings, text);
  }
  return autodetect(settings, readFile);
}

function autodetect(settings: CheckSettings, readFile: (path: string) => string | undefined): ResolvedChecks {
  const base = settings.context.replace(/\/+$/, '');
  const appJsonPath = `${base}/app.json`;
  const checksPath = `${base}/CHECKS`;
  const appJson = readFile(appJsonPath);
  const checks = readFile(checksPath);
  const fromAppJson = appJson === undefined ? undefined : parseAppJson(appJson, appJsonPath);
  if (fromAppJson) {
    const result = withDefaults(fromAppJson, settings, appJson ?? '');
    if (checks === undefined) return result;
    const ignored = `${checksPath} is ignored: ${appJsonPath} declares healthchecks (as in Dokku 0.31+)`;
    return { ...result, warnings: [...result.warnings, ignored] };
  }
  if (checks !== undefined) return withDefaults(parseChecksFile(checks, checksPath), settings, checks);
  return { suite: defaultSuite(settings), warnings: [] };
}

/**
 * As Dokku: an empty CHECKS file, or an app.json without startup checks for web, means the default
 * checks (the declared liveness/readiness ones are still reported).
 */
function withDefaults(suite: CheckSuite, settings: CheckSettings, text: string): ResolvedChecks {
  if (suite.startup.length > 0) return { suite, warnings: [] };
  // Dokku tests the CHECKS file with `-s`: a file of comments is a file with no checks, not no file.
  if (suite.source === 'CHECKS' && text.length > 0) return { suite, warnings: [] };
  const fallback = defaultSuite(settings);
  return {
    suite: { ...fallback, other: suite.other },
    warnings: [`${suite.file} declares no startup checks: running the default checks`],
  };
}

function kamalSuite(settings: CheckSettings): CheckSuite {
  const check: HealthCheck = {
    kind: 'path',
    name: 'healthcheck',
    origin: 'input healthcheck-path',
    path: settings.healthcheckPath,
    scheme: 'http',
    headers: [],
    status: '2xx',
    attempts: 1,
    timeout: 5,
    wait: 0,
    initialDelay: 0,
    budget: settings.readyTimeout,
  };
  return { source: 'healthcheck-path', sequential: false, startup: [check], other: [] };
}

/** Dokku's default (up for DOKKU_DEFAULT_CHECKS_WAIT seconds) plus Baton's readiness (HTTP below 500). */
function defaultSuite(settings: CheckSettings): CheckSuite {
  const common = { attempts: 1, timeout: 5, wait: 0, initialDelay: 0 };
  const ready: HealthCheck = {
    ...common,
    kind: 'path',
    name: 'ready',
    origin: 'input ready-path',
    path: settings.readyPath,
    scheme: 'http',
    headers: [],
    status: 'ready',
    budget: settings.readyTimeout,
  };
  const uptime: HealthCheck = {
    ...common,
    kind: 'uptime',
    name: 'uptime',
    origin: 'input default-checks-wait',
    uptime: settings.defaultChecksWait,
  };
  return {
    source: 'default',
    sequential: false,
    startup: settings.defaultChecksWait > 0 ? [ready, uptime] : [ready],
    other: [],
  };
}
