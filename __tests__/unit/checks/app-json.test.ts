import { describe, expect, it } from 'vitest';
import { APP_JSON_DEFAULTS, parseAppJson } from '../../../src/checks/app-json';
import { parseChecksFile } from '../../../src/checks/checks-file';
import type { CheckSuite, HealthCheck } from '../../../src/checks/model';
import { ConfigError } from '../../../src/errors';

/** An app.json with these entries under healthchecks.web. */
const appJson = (...web: unknown[]) => JSON.stringify({ healthchecks: { web } }, null, 2);

const parse = (text: string, file = 'app.json') => parseAppJson(text, file) as CheckSuite;
const startup = (...web: unknown[]) => parse(appJson(...web)).startup;
const only = (entry: unknown) => startup(entry)[0] as HealthCheck;

/** Runs parseAppJson, expects a ConfigError, and returns its message. */
function failure(text: string, file = 'app.json'): string {
  let thrown: unknown;
  try {
    parseAppJson(text, file);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).message;
}
const entryFailure = (entry: unknown) => failure(appJson(entry));

const DEFAULTS = { attempts: 3, timeout: 5, wait: 5, initialDelay: 0 };

describe('parseAppJson: the suite', () => {
  it('has healthchecker defaults attempts 3, timeout 5, wait 5, initialDelay 0', () => {
    expect(APP_JSON_DEFAULTS).toEqual(DEFAULTS);
  });

  it('is a parallel app.json suite naming its file', () => {
    const suite = parse(appJson({ type: 'startup', path: '/' }), 'web/app.json');
    expect(suite).toMatchObject({ source: 'app.json', file: 'web/app.json', sequential: false, other: [] });
  });

  it('is undefined without healthchecks, or without healthchecks.web', () => {
    expect(parseAppJson('{}', 'app.json')).toBeUndefined();
    expect(parseAppJson('{"name": "my app", "scripts": {"dokku": {}}}', 'app.json')).toBeUndefined();
    expect(parseAppJson('{"healthchecks": {}}', 'app.json')).toBeUndefined();
    expect(parseAppJson('{"healthchecks": {"worker": [{"type": "startup"}]}}', 'app.json')).toBeUndefined();
  });

  it('ignores the checks of other process types', () => {
    const suite = parse(
      JSON.stringify({
        healthchecks: { web: [{ type: 'startup', path: '/' }], worker: [{ type: 'startup', uptime: 3 }] },
      }),
    );
    expect(suite.startup.map((check) => check.kind)).toEqual(['path']);
  });

  it('reads an empty web list as a suite with no checks', () => {
    expect(parse('{"healthchecks": {"web": []}}')).toMatchObject({ startup: [], other: [] });
  });
});

describe('parseAppJson: Dokku doc fixture (spec §3.1)', () => {
  it('parses the documented web check with attempts 3 and the other defaults', () => {
    const text = `{ "healthchecks": { "web": [ {
  "type": "startup", "name": "web check",
  "description": "Checking if the app responds to the /health/ready endpoint",
  "path": "/health/ready", "attempts": 3 } ] } }`;
    const suite = parse(text);
    expect(suite.other).toEqual([]);
    expect(suite.startup).toEqual([
      {
        kind: 'path',
        name: 'web check',
        origin: 'healthchecks.web[0]',
        path: '/health/ready',
        port: undefined,
        scheme: 'http',
        content: undefined,
        headers: [],
        status: 'dokku',
        ...DEFAULTS,
        attempts: 3,
      },
    ]);
  });
});

describe('parseAppJson: healthchecker doc fixtures (spec §3.4)', () => {
  const fixtures = [
    { type: 'startup', name: 'basic uptime', uptime: 10 },
    { type: 'startup', name: 'port check', listening: true, port: 3000 },
    { type: 'startup', name: 'http health', path: '/health/ready', port: 8080, timeout: 5, attempts: 3 },
    {
      type: 'startup',
      path: '/health/ready',
      httpHeaders: [
        { name: 'X-Forwarded-Proto', value: 'https' },
        { name: 'Host', value: 'myapp.example.com' },
      ],
    },
    { type: 'readiness', name: 'internal check', command: ['/app/check-ready.sh'], timeout: 5, attempts: 3 },
    {
      type: 'startup',
      path: '/health/ready',
      onFailure: {
        command: ['/usr/local/bin/notify-failure.sh'],
        url: 'https://hooks.example.com/healthcheck-failed',
      },
    },
  ];

  it('sorts them into startup checks and one readiness check, with the right kinds', () => {
    const suite = parse(appJson(...fixtures));
    expect(suite.startup.map((check) => check.kind)).toEqual(['uptime', 'listening', 'path', 'path', 'path']);
    expect(suite.other.map(({ type, check }) => [type, check.kind])).toEqual([['readiness', 'command']]);
  });

  it('uptime: uptime 10, defaults for the rest', () => {
    expect(only(fixtures[0])).toEqual({
      kind: 'uptime',
      name: 'basic uptime',
      origin: 'healthchecks.web[0]',
      uptime: 10,
      ...DEFAULTS,
    });
  });

  it('listening: port 3000', () => {
    expect(only(fixtures[1])).toEqual({
      kind: 'listening',
      name: 'port check',
      origin: 'healthchecks.web[0]',
      port: 3000,
      ...DEFAULTS,
    });
  });

  it('path on port 8080', () => {
    expect(only(fixtures[2])).toMatchObject({
      kind: 'path',
      name: 'http health',
      path: '/health/ready',
      port: 8080,
      timeout: 5,
      attempts: 3,
      wait: 5,
    });
  });

  it('path with headers, in order; an unnamed check gets healthcheck-N from its position', () => {
    const checks = startup(fixtures[0], fixtures[3]);
    expect(checks[1]).toMatchObject({
      kind: 'path',
      name: 'healthcheck-2',
      origin: 'healthchecks.web[1]',
      headers: [
        { name: 'X-Forwarded-Proto', value: 'https' },
        { name: 'Host', value: 'myapp.example.com' },
      ],
    });
  });

  it('readiness command check goes to other, with its type', () => {
    const suite = parse(appJson(fixtures[4]));
    expect(suite.startup).toEqual([]);
    expect(suite.other).toEqual([
      {
        type: 'readiness',
        check: {
          kind: 'command',
          name: 'internal check',
          origin: 'healthchecks.web[0]',
          command: ['/app/check-ready.sh'],
          ...DEFAULTS,
        },
      },
    ]);
  });

  it('onFailure is accepted on a path check', () => {
    expect(only(fixtures[5])).toMatchObject({ kind: 'path', path: '/health/ready' });
  });

  it('`add` command fixtures: uptime 1 and uptime 10', () => {
    expect(
      parse('{"healthchecks":{"web":[{"name":"default","type":"startup","uptime":1}]}}').startup,
    ).toEqual([{ kind: 'uptime', name: 'default', origin: 'healthchecks.web[0]', uptime: 1, ...DEFAULTS }]);
    expect(only({ name: 'default', type: 'startup', uptime: 10 })).toMatchObject({
      kind: 'uptime',
      uptime: 10,
    });
  });
});

describe('parseAppJson: the CHECKS conversion fixtures (spec §2)', () => {
  /** A check without where it was declared, to compare a CHECKS line with its app.json conversion. */
  const comparable = (check: HealthCheck | undefined) => {
    const rest: Partial<HealthCheck> = { ...(check as HealthCheck) };
    delete rest.origin;
    return rest;
  };

  it('ATTEMPTS=2 / → attempts 2, and the conversion drops to healthchecker defaults for the rest', () => {
    const json = only({ attempts: 2, name: 'check-1', path: '/', type: 'startup' });
    const legacy = parseChecksFile('ATTEMPTS=2\n/', 'CHECKS').startup[0];
    expect(json).toMatchObject({ kind: 'path', path: '/', attempts: 2, timeout: 5, wait: 5 });
    // The documented default change on conversion (spec §2): CHECKS default TIMEOUT is 30, HC's is 5.
    expect(legacy).toMatchObject({ kind: 'path', path: '/', attempts: 2, timeout: 30, wait: 5 });
  });

  it('//example.com/path nodejs/express converts to the same check', () => {
    const text = [
      'WAIT=2 # wait 2 seconds',
      'TIMEOUT=5 # set timeout to 5 seconds',
      'ATTEMPTS=2 # try 2 times',
      '',
      '//example.com/path nodejs/express',
    ].join('\n');
    const converted =
      '{"healthchecks":{"web":[{"attempts":2,"content":"nodejs/express","httpHeaders":[{"name":"Host","value":"example.com"}],"name":"check-1","path":"/path","timeout":5,"type":"startup","wait":2}]}}';
    const legacy = parseChecksFile(text, 'CHECKS').startup[0];
    const json = parse(converted).startup[0];
    expect(comparable(json)).toEqual(comparable(legacy));
    expect(json).toMatchObject({ content: 'nodejs/express', path: '/path', scheme: 'http', wait: 2 });
  });

  it('https://example.com/path nodejs/express converts to the same check with scheme https', () => {
    const text = 'WAIT=2 # w\nTIMEOUT=5 # t\nATTEMPTS=2 # a\n\nhttps://example.com/path nodejs/express';
    const converted =
      '{"healthchecks":{"web":[{"attempts":2,"content":"nodejs/express","httpHeaders":[{"name":"Host","value":"example.com"}],"name":"check-1","path":"/path","scheme":"https","timeout":5,"type":"startup","wait":2}]}}';
    const legacy = parseChecksFile(text, 'CHECKS').startup[0];
    const json = parse(converted).startup[0];
    expect(comparable(json)).toEqual(comparable(legacy));
    expect(json).toMatchObject({ scheme: 'https' });
  });

  it('python.CHECKS converts to the same check', () => {
    const text = 'WAIT=2 # wait\nTIMEOUT=7 # timeout\nATTEMPTS=2 # attempts\n\n/ python/http.server\n';
    const converted =
      '{"healthchecks":{"web":[{"attempts":2,"content":"python/http.server","name":"check-1","path":"/","timeout":7,"type":"startup","wait":2}]}}';
    expect(comparable(parse(converted).startup[0])).toEqual(
      comparable(parseChecksFile(text, 'CHECKS').startup[0]),
    );
  });

  it('the migration doc example (/ Hello World!) converts to the same check', () => {
    const text = 'WAIT=2\nTIMEOUT=5\nATTEMPTS=2\n\n/ Hello World!';
    const converted = appJson({
      attempts: 2,
      content: 'Hello World!',
      name: 'check-1',
      path: '/',
      timeout: 5,
      type: 'startup',
      wait: 2,
    });
    expect(comparable(parse(converted).startup[0])).toEqual(
      comparable(parseChecksFile(text, 'CHECKS').startup[0]),
    );
  });
});

describe('parseAppJson: fields', () => {
  it('an entry with no path, command, uptime or listening is an uptime check of 0 s', () => {
    expect(only({ type: 'startup', name: 'x' })).toEqual({
      kind: 'uptime',
      name: 'x',
      origin: 'healthchecks.web[0]',
      uptime: 0,
      ...DEFAULTS,
    });
  });

  it('listening false is not a listening check', () => {
    expect(only({ type: 'startup', listening: false, path: '/' }).kind).toBe('path');
    expect(only({ type: 'startup', listening: false }).kind).toBe('uptime');
  });

  it('a listening check without a port uses the app port (undefined)', () => {
    expect(only({ type: 'startup', listening: true })).toMatchObject({ kind: 'listening', port: undefined });
  });

  it('reads attempts, timeout, wait and initialDelay', () => {
    expect(
      only({ type: 'startup', path: '/', attempts: 7, timeout: 2, wait: 1, initialDelay: 12 }),
    ).toMatchObject({ attempts: 7, timeout: 2, wait: 1, initialDelay: 12 });
  });

  it('reads content and scheme (case-insensitive, as the healthchecker lower-cases it)', () => {
    expect(only({ type: 'startup', path: '/', content: 'OK', scheme: 'HTTPS' })).toMatchObject({
      content: 'OK',
      scheme: 'https',
    });
  });

  it('reads the type case-insensitively', () => {
    expect(parse(appJson({ type: 'Startup', path: '/' })).startup).toHaveLength(1);
  });

  it('accepts description, warn and onFailure (reported, not used)', () => {
    expect(
      only({ type: 'startup', path: '/', description: 'd', warn: true, onFailure: { url: 'https://x' } })
        .kind,
    ).toBe('path');
  });

  it('liveness and readiness checks go to other in order, startup ones to startup', () => {
    const suite = parse(
      appJson(
        { type: 'liveness', path: '/live' },
        { type: 'startup', path: '/start' },
        { type: 'readiness', path: '/ready' },
      ),
    );
    expect(suite.startup.map((check) => (check as { path: string }).path)).toEqual(['/start']);
    expect(
      suite.other.map(({ type, check }) => [type, (check as { path: string }).path, check.origin]),
    ).toEqual([
      ['liveness', '/live', 'healthchecks.web[0]'],
      ['readiness', '/ready', 'healthchecks.web[2]'],
    ]);
  });

  it('gives every path check the Dokku status rule (200..399)', () => {
    expect(only({ type: 'startup', path: '/' })).toMatchObject({ status: 'dokku' });
  });

  it('allows a port on a path check and bounds it to 1..65535', () => {
    expect(only({ type: 'startup', path: '/', port: 65535 })).toMatchObject({ port: 65535 });
    expect(entryFailure({ type: 'startup', path: '/', port: 0 })).toBe(
      'app.json: healthchecks.web[0].port: expected 1..65535, got 0',
    );
    expect(entryFailure({ type: 'startup', path: '/', port: 70000 })).toBe(
      'app.json: healthchecks.web[0].port: expected 1..65535, got 70000',
    );
  });

  // Deviation (spec §3.2): the healthchecker reads `"wait": 0` (≤0) as its default 5 s between tries;
  // parseAppJson keeps 0, so the app.json budget and dokku timing lose (attempts−1)×5 s.
  it('"wait": 0 means the default wait of 5 s, as in the healthchecker', () => {
    expect(only({ type: 'startup', path: '/', wait: 0 })).toMatchObject({ wait: 5 });
  });
});

describe('parseAppJson: errors name the JSON path', () => {
  it('a string where a number is expected', () => {
    expect(entryFailure({ type: 'startup', path: '/', attempts: '3' })).toBe(
      'app.json: healthchecks.web[0].attempts: expected a whole number, got "3"',
    );
  });

  it('fractional, negative, out-of-range and null numbers', () => {
    expect(entryFailure({ type: 'startup', timeout: 2.5 })).toBe(
      'app.json: healthchecks.web[0].timeout: expected a whole number, got 2.5',
    );
    // As the healthchecker: zero or negative attempts, timeout and wait mean the defaults.
    expect(only({ type: 'startup', path: '/', wait: -1, attempts: 0, timeout: 0 })).toMatchObject({
      wait: 5,
      attempts: 3,
      timeout: 5,
    });
    expect(entryFailure({ type: 'startup', uptime: 86401 })).toBe(
      'app.json: healthchecks.web[0].uptime: expected 0..86400, got 86401',
    );
    expect(entryFailure({ type: 'startup', attempts: null })).toBe(
      'app.json: healthchecks.web[0].attempts: expected a whole number, got null',
    );
    expect(failure('{"healthchecks":{"web":[{"type":"startup","attempts":1e400}]}}')).toBe(
      'app.json: healthchecks.web[0].attempts: expected a whole number, got a number out of range',
    );
  });

  it('names the index of the bad entry', () => {
    expect(failure(appJson({ type: 'startup' }, { type: 'startup' }, { type: 'startup', uptime: 'x' }))).toBe(
      'app.json: healthchecks.web[2].uptime: expected a whole number, got "x"',
    );
  });

  it('a missing or unknown type', () => {
    expect(entryFailure({ path: '/' })).toBe(
      'app.json: healthchecks.web[0].type: required: one of startup, liveness, readiness',
    );
    expect(entryFailure({ type: 'boot', path: '/' })).toBe(
      'app.json: healthchecks.web[0].type: expected one of startup, liveness, readiness, got "boot"',
    );
    expect(entryFailure({ type: 1 })).toBe('app.json: healthchecks.web[0].type: expected a string, got 1');
  });

  it('an unknown field (typo protection)', () => {
    expect(entryFailure({ type: 'startup', path: '/', attempt: 3 })).toMatch(
      /^app\.json: healthchecks\.web\[0\]\.attempt: unknown field; expected one of type, name, /,
    );
    expect(entryFailure({ type: 'startup', initialdelay: 3 })).toMatch(
      /^app\.json: healthchecks\.web\[0\]\.initialdelay: unknown field/,
    );
    expect(failure('{"healthchecks":{"web":[{"type":"startup","__proto__":{}}]}}')).toMatch(
      /^app\.json: healthchecks\.web\[0\]\.__proto__: unknown field/,
    );
  });

  it('combinations of kinds', () => {
    expect(entryFailure({ type: 'startup', command: ['true'], path: '/' })).toBe(
      'app.json: healthchecks.web[0]: declares both command and path; a check does one thing',
    );
    expect(entryFailure({ type: 'startup', path: '/', uptime: 5 })).toBe(
      'app.json: healthchecks.web[0]: declares both path and uptime; a check does one thing',
    );
    expect(entryFailure({ type: 'startup', command: ['true'], uptime: 1 })).toMatch(/command and uptime/);
    expect(entryFailure({ type: 'startup', command: ['true'], listening: true })).toMatch(
      /command and listening/,
    );
    expect(entryFailure({ type: 'startup', path: '/', listening: true })).toMatch(/path and listening/);
    expect(entryFailure({ type: 'startup', uptime: 1, listening: true })).toMatch(/uptime and listening/);
    expect(entryFailure({ type: 'startup', command: ['x'], path: '/', uptime: 1 })).toMatch(
      /declares both command and path and uptime/,
    );
  });

  it('path-only fields without a path', () => {
    expect(entryFailure({ type: 'startup', content: 'x' })).toBe(
      'app.json: healthchecks.web[0]: "content" only applies to a path check',
    );
    expect(entryFailure({ type: 'startup', uptime: 3, scheme: 'https' })).toMatch(/"scheme" only applies/);
    expect(entryFailure({ type: 'startup', listening: true, httpHeaders: [] })).toMatch(
      /"httpHeaders" only applies/,
    );
  });

  it('bad path, scheme, command, headers, booleans and objects', () => {
    expect(entryFailure({ type: 'startup', path: 'health' })).toBe(
      'app.json: healthchecks.web[0].path: path must start with /',
    );
    expect(entryFailure({ type: 'startup', path: '' })).toMatch(/\.path: path must start with \//);
    expect(entryFailure({ type: 'startup', path: '/', scheme: 'ftp' })).toBe(
      'app.json: healthchecks.web[0].scheme: expected one of http, https, got "ftp"',
    );
    expect(entryFailure({ type: 'startup', command: 'true' })).toMatch(
      /^app\.json: healthchecks\.web\[0\]\.command: expected a non-empty list of strings/,
    );
    expect(entryFailure({ type: 'startup', command: [] })).toMatch(/\.command: expected a non-empty list/);
    expect(entryFailure({ type: 'startup', command: ['ok', 1] })).toMatch(
      /\.command: expected a non-empty list/,
    );
    expect(entryFailure({ type: 'startup', path: '/', httpHeaders: { Host: 'x' } })).toMatch(
      /^app\.json: healthchecks\.web\[0\]\.httpHeaders: expected a list of/,
    );
    expect(entryFailure({ type: 'startup', path: '/', httpHeaders: [{ name: 'Host' }] })).toMatch(
      /\.httpHeaders: expected a list of/,
    );
    expect(entryFailure({ type: 'startup', listening: 'yes' })).toBe(
      'app.json: healthchecks.web[0].listening: expected true or false, got "yes"',
    );
    expect(entryFailure({ type: 'startup', warn: 1 })).toMatch(/\.warn: expected true or false, got 1/);
    expect(entryFailure({ type: 'startup', onFailure: 'notify' })).toBe(
      'app.json: healthchecks.web[0].onFailure: expected an object, got "notify"',
    );
    expect(entryFailure({ type: 'startup', name: 5 })).toMatch(/\.name: expected a string, got 5/);
    expect(entryFailure({ type: 'startup', description: ['x'] })).toMatch(/\.description: expected a string/);
  });

  it('an entry that is not an object', () => {
    expect(failure(appJson('startup'))).toBe('app.json: healthchecks.web[0]: expected an object');
    expect(failure(appJson(null))).toBe('app.json: healthchecks.web[0]: expected an object');
    expect(failure(appJson([{ type: 'startup' }]))).toBe('app.json: healthchecks.web[0]: expected an object');
  });

  it('healthchecks.web that is not a list, healthchecks that is not an object, a top level that is not an object', () => {
    expect(failure('{"healthchecks": {"web": {"type": "startup"}}}')).toBe(
      'app.json: healthchecks.web: expected a list of checks',
    );
    expect(failure('{"healthchecks": {"web": "/health"}}')).toBe(
      'app.json: healthchecks.web: expected a list of checks',
    );
    expect(failure('{"healthchecks": {"web": null}}')).toBe(
      'app.json: healthchecks.web: expected a list of checks',
    );
    expect(failure('{"healthchecks": []}')).toBe(
      'app.json: healthchecks: expected an object of process types',
    );
    expect(failure('{"healthchecks": null}')).toBe(
      'app.json: healthchecks: expected an object of process types',
    );
    expect(failure('[]')).toBe('app.json: (top level): expected an object');
    expect(failure('null')).toBe('app.json: (top level): expected an object');
    expect(failure('"app"')).toBe('app.json: (top level): expected an object');
  });

  it('uses the given file name', () => {
    expect(failure('[]', 'deploy/app.json')).toBe('deploy/app.json: (top level): expected an object');
  });
});

describe('parseAppJson: invalid JSON names a line', () => {
  it('a trailing comma on line 3', () => {
    expect(failure('{\n  "name": "web",\n}\n')).toMatch(/^app\.json:3: invalid JSON/);
  });

  it('a missing comma between two lines', () => {
    expect(failure('{\n  "healthchecks": {}\n  "name": "x"\n}')).toMatch(/^app\.json:3: invalid JSON/);
  });

  it('an empty or truncated file is invalid JSON (no line)', () => {
    expect(failure('')).toMatch(/^app\.json: invalid JSON/);
    expect(failure('{"healthchecks":')).toMatch(/^app\.json(:\d+)?: invalid JSON/);
  });

  // Bug: the line comes from "at position N" in the JSON.parse message, but V8 (Node 20) reports an
  // unexpected token as `Unexpected token 'x', "…" is not valid JSON` with no position, so the most
  // common mistakes (an unquoted value, single quotes) get no line: "app.json: invalid JSON: …".
  it('an unexpected token on line 3 (unquoted value) names line 3', () => {
    expect(failure('{\n  "name": "web",\n  "healthchecks": nope\n}')).toMatch(/^app\.json:3: invalid JSON/);
  });

  // Bug: Fields.wrong() puts JSON.stringify(value) in the message; for a deeply nested value
  // (JSON.parse handles it) that throws RangeError "Maximum call stack size exceeded", not ConfigError.
  it('a deeply nested value in a field is a ConfigError, not a RangeError', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(failure(`{"healthchecks":{"web":[{"type":"startup","attempts":${deep}}]}}`)).toMatch(
      /^app\.json: healthchecks\.web\[0\]\.attempts: /,
    );
  });

  it('a deeply nested value elsewhere in the file is fine', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(parseAppJson(`{"other": ${deep}}`, 'app.json')).toBeUndefined();
    expect(failure(deep)).toBe('app.json: (top level): expected an object');
  });
});
