import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../../src/checks/model';
import { type CheckSettings, resolveChecks } from '../../../src/checks/resolve';
import { ConfigError } from '../../../src/errors';
import { checkSettings } from '../support';

const SETTINGS = checkSettings({ readyPath: '/up' });

/** A fake workspace: missing files read as undefined; records what was read. */
function workspace(files: Record<string, string>) {
  const reads: string[] = [];
  const readFile = (path: string) => {
    reads.push(path);
    return Object.hasOwn(files, path) ? files[path] : undefined;
  };
  return { readFile, reads };
}

const resolve = (settings: Partial<CheckSettings>, files: Record<string, string> = {}) =>
  resolveChecks({ ...SETTINGS, ...settings }, workspace(files).readFile);

function failure(settings: Partial<CheckSettings>, files: Record<string, string> = {}): string {
  let thrown: unknown;
  try {
    resolve(settings, files);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).message;
}

const APP_JSON = JSON.stringify({
  healthchecks: { web: [{ type: 'startup', name: 'ready', path: '/ready' }] },
});
const CHECKS = 'WAIT=1\n/health  ok\n';

const DEFAULT_STARTUP: HealthCheck[] = [
  {
    kind: 'path',
    name: 'ready',
    origin: 'input ready-path',
    path: '/up',
    scheme: 'http',
    headers: [],
    status: 'ready',
    attempts: 1,
    timeout: 5,
    wait: 0,
    initialDelay: 0,
    budget: 60,
  },
  {
    kind: 'uptime',
    name: 'uptime',
    origin: 'input default-checks-wait',
    uptime: 10,
    attempts: 1,
    timeout: 5,
    wait: 0,
    initialDelay: 0,
  },
];

describe('resolveChecks: skip-checks', () => {
  it('skips everything with a warning, even when files exist', () => {
    const { readFile, reads } = workspace({ './app.json': APP_JSON, './CHECKS': CHECKS });
    const result = resolveChecks({ ...SETTINGS, skip: true }, readFile);
    expect(result).toEqual({
      suite: { source: 'skipped', sequential: false, startup: [], other: [] },
      warnings: [
        'skip-checks is set: traffic moves to the new container as soon as it starts, without any check',
      ],
    });
    expect(reads).toEqual([]);
  });

  it('wins over healthcheck-path and checks (no conflict error)', () => {
    expect(resolve({ skip: true, healthcheckPath: '/up', file: 'CHECKS' }).suite.source).toBe('skipped');
  });
});

describe('resolveChecks: healthcheck-path (Kamal)', () => {
  it('is one 2xx path check whose budget is ready-timeout', () => {
    const result = resolve({ healthcheckPath: '/healthz', readyTimeout: 42 });
    expect(result).toEqual({
      suite: {
        source: 'healthcheck-path',
        sequential: false,
        startup: [
          {
            kind: 'path',
            name: 'healthcheck',
            origin: 'input healthcheck-path',
            path: '/healthz',
            scheme: 'http',
            headers: [],
            status: '2xx',
            attempts: 1,
            timeout: 5,
            wait: 0,
            initialDelay: 0,
            budget: 42,
          },
        ],
        other: [],
      },
      warnings: [],
    });
  });

  it('replaces app.json and CHECKS in the context, without reading them', () => {
    const { readFile, reads } = workspace({ './app.json': APP_JSON, './CHECKS': CHECKS });
    const result = resolveChecks({ ...SETTINGS, healthcheckPath: '/healthz' }, readFile);
    expect(result.suite.source).toBe('healthcheck-path');
    expect(result.warnings).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('together with checks is an error naming healthcheck-path', () => {
    expect(failure({ healthcheckPath: '/healthz', file: 'CHECKS' }, { CHECKS })).toBe(
      'input "healthcheck-path": set either healthcheck-path or checks, not both',
    );
  });
});

describe('resolveChecks: an explicit checks file', () => {
  it('reads a CHECKS file at the given path (not under the context)', () => {
    const { readFile, reads } = workspace({ 'deploy/CHECKS': CHECKS, './CHECKS': '/other' });
    const result = resolveChecks({ ...SETTINGS, file: 'deploy/CHECKS', context: 'app' }, readFile);
    expect(reads).toEqual(['deploy/CHECKS']);
    expect(result.warnings).toEqual([]);
    expect(result.suite).toMatchObject({ source: 'CHECKS', file: 'deploy/CHECKS', sequential: true });
    expect(result.suite.startup[0]).toMatchObject({
      path: '/health',
      content: 'ok',
      wait: 1,
      origin: 'deploy/CHECKS:2',
    });
  });

  it('reads any *.json as an app.json', () => {
    const result = resolve({ file: 'config/health.json' }, { 'config/health.json': APP_JSON });
    expect(result.suite).toMatchObject({ source: 'app.json', file: 'config/health.json', sequential: false });
    expect(result.suite.startup.map((check) => check.name)).toEqual(['ready']);
  });

  it('an explicit app.json wins even when a CHECKS file sits in the context, with no warning', () => {
    const result = resolve({ file: 'app.json' }, { 'app.json': APP_JSON, './CHECKS': CHECKS });
    expect(result.suite.source).toBe('app.json');
    expect(result.warnings).toEqual([]);
  });

  it('a missing file is an error naming the input', () => {
    expect(failure({ file: 'deploy/CHECKS' })).toBe('input "checks": "deploy/CHECKS" does not exist');
    expect(failure({ file: 'app.json' })).toBe('input "checks": "app.json" does not exist');
  });

  it('names a config-file source when the input came from a file', () => {
    expect(
      failure({ file: 'CHECKS', fileSource: { kind: 'file', file: 'baton.yml', line: 7, key: 'checks' } }),
    ).toBe('baton.yml:7 (checks): "CHECKS" does not exist');
  });

  it('an app.json without healthchecks.web is an error naming the input', () => {
    expect(failure({ file: 'app.json' }, { 'app.json': '{"name": "web"}' })).toBe(
      'input "checks": "app.json" has no healthchecks.web list',
    );
  });

  it('passes parse errors through with the file name', () => {
    expect(failure({ file: 'deploy/CHECKS' }, { 'deploy/CHECKS': '/\nFOO=1' })).toMatch(
      /^deploy\/CHECKS:2: /,
    );
    expect(failure({ file: 'app.json' }, { 'app.json': '[]' })).toBe(
      'app.json: (top level): expected an object',
    );
  });
});

describe('resolveChecks: looking in the context', () => {
  it('reads CONTEXT/app.json and CONTEXT/CHECKS (trailing slashes dropped)', () => {
    const { readFile, reads } = workspace({});
    resolveChecks({ ...SETTINGS, context: 'services/api//' }, readFile);
    expect(reads).toEqual(['services/api/app.json', 'services/api/CHECKS']);
  });

  it('app.json healthchecks alone', () => {
    const result = resolve({}, { './app.json': APP_JSON });
    expect(result.warnings).toEqual([]);
    expect(result.suite).toMatchObject({ source: 'app.json', file: './app.json' });
  });

  it('CHECKS alone', () => {
    const result = resolve({}, { './CHECKS': CHECKS });
    expect(result.warnings).toEqual([]);
    expect(result.suite).toMatchObject({ source: 'CHECKS', file: './CHECKS' });
    expect(result.suite.startup[0]?.origin).toBe('./CHECKS:2');
  });

  it('app.json wins over CHECKS, with a warning naming both files', () => {
    const result = resolve({ context: 'web' }, { 'web/app.json': APP_JSON, 'web/CHECKS': CHECKS });
    expect(result.suite.source).toBe('app.json');
    expect(result.warnings).toEqual([
      'web/CHECKS is ignored: web/app.json declares healthchecks (as in Dokku 0.31+)',
    ]);
  });

  it('an app.json without healthchecks leaves CHECKS in charge, without a warning', () => {
    const result = resolve({}, { './app.json': '{"name": "web", "scripts": {}}', './CHECKS': CHECKS });
    expect(result.suite.source).toBe('CHECKS');
    expect(result.warnings).toEqual([]);
  });

  it('an app.json with healthchecks for other process types only leaves CHECKS in charge', () => {
    const appJson = JSON.stringify({ healthchecks: { worker: [{ type: 'startup', uptime: 1 }] } });
    expect(resolve({}, { './app.json': appJson, './CHECKS': CHECKS }).suite.source).toBe('CHECKS');
  });

  it('an invalid app.json is an error even when CHECKS exists', () => {
    expect(failure({}, { './app.json': '{', './CHECKS': CHECKS })).toMatch(
      /^\.\/app\.json(:\d+)?: invalid JSON/,
    );
  });

  it('an invalid CHECKS file is an error naming ./CHECKS:line', () => {
    expect(failure({}, { './CHECKS': '# c\nabout' })).toMatch(/^\.\/CHECKS:2: "about" is not a check/);
  });

  it('a CHECKS file of comments only gives zero checks (as Dokku: non-empty file, no check lines)', () => {
    const result = resolve({}, { './CHECKS': '# to do\n' });
    expect(result.suite).toMatchObject({ source: 'CHECKS', startup: [] });
  });

  // Deviation (spec §1.6, check-deploy `[[ ! -s CHECKS ]]`): Dokku runs the default check when the
  // CHECKS file is empty (0 bytes). resolveChecks returns a CHECKS suite with no checks at all, so
  // traffic moves with no check.
  it('an empty CHECKS file falls back to the default checks', () => {
    expect(resolve({}, { './CHECKS': '' }).suite).toMatchObject({
      source: 'default',
      startup: DEFAULT_STARTUP,
    });
  });

  // Deviation (spec §3.3): when app.json declares no startup check for web (only liveness/readiness,
  // or an empty list), the healthchecker/Dokku fall back to the simple container checks. resolveChecks
  // returns an app.json suite with startup [] and the CHECKS/default checks are dropped: no check gates.
  it('an app.json with only readiness/liveness checks still gets the default startup checks', () => {
    const appJson = JSON.stringify({ healthchecks: { web: [{ type: 'readiness', path: '/ready' }] } });
    expect(resolve({}, { './app.json': appJson }).suite.startup).toEqual(DEFAULT_STARTUP);
  });

  it('an app.json with an empty web list still gets the default startup checks', () => {
    expect(resolve({}, { './app.json': '{"healthchecks":{"web":[]}}' }).suite.startup).toEqual(
      DEFAULT_STARTUP,
    );
  });
});

describe('resolveChecks: the default suite', () => {
  it('is a ready-path check (HTTP below 500 within ready-timeout) and an uptime check', () => {
    expect(resolve({})).toEqual({
      suite: { source: 'default', sequential: false, startup: DEFAULT_STARTUP, other: [] },
      warnings: [],
    });
  });

  it('uses ready-path, ready-timeout and default-checks-wait', () => {
    const { startup } = resolve({ readyPath: '/ping', readyTimeout: 9, defaultChecksWait: 3 }).suite;
    expect(startup[0]).toMatchObject({ kind: 'path', path: '/ping', budget: 9, status: 'ready' });
    expect(startup[1]).toMatchObject({ kind: 'uptime', uptime: 3 });
  });

  it('has no uptime check when default-checks-wait is 0', () => {
    const { startup } = resolve({ defaultChecksWait: 0 }).suite;
    expect(startup).toEqual([DEFAULT_STARTUP[0]]);
  });
});
