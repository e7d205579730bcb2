import { describe, expect, it } from 'vitest';
import { parseAppJson } from '../../../src/checks/app-json';
import { parseChecksFile } from '../../../src/checks/checks-file';
import type { CheckSuite, HealthCheck, PathCheck } from '../../../src/checks/model';
import { ConfigError } from '../../../src/errors';

const RUNS = 3000;

/** mulberry32: a small seeded PRNG, so a failure can be replayed from its seed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof prng>;

/** Runs fn; returns its result, or the ConfigError it threw. Anything else thrown fails the test. */
function outcome<T>(
  fn: () => T,
  input: string,
  seed: number,
): { ok: true; value: T } | { ok: false; error: ConfigError } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw new Error(`seed ${seed}: ${String(error)} for input ${JSON.stringify(input.slice(0, 500))}`, {
        cause: error,
      });
    }
    return { ok: false, error };
  }
}

// ---------------------------------------------------------------------------------------------------
// CHECKS files

const FRAGMENTS = [
  'WAIT=',
  'TIMEOUT=',
  'ATTEMPTS=',
  'FOO=',
  'wait=',
  '=',
  '==',
  '0',
  '1',
  '5',
  '30',
  '007',
  '99999999999999999999',
  '-1',
  '1.5',
  '1e3',
  '/',
  '//',
  '///',
  'https://',
  'http://',
  'HTTPS://',
  'http:',
  'ftp://',
  'host',
  'example.com',
  ':8080',
  ':',
  '?a=b',
  '&',
  ' ',
  '  ',
  '\t',
  '#',
  '# comment',
  ' #',
  'é',
  '日本',
  '🚀',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\r',
  '$(function()',
  '{{ var "X" }}',
  '\\',
  '"',
  "'",
  'NaN',
  'Infinity',
  'constructor',
  '__proto__',
  'toString',
];

const VALID_LINES = [
  '',
  '# a comment',
  '   ',
  'WAIT=0',
  'WAIT=30     # Wait 1/2 minute',
  'TIMEOUT=60  # Timeout after a minute',
  'ATTEMPTS=10 # Attempt checks 10 times',
  'ATTEMPTS=1',
  '/',
  '/about  Our Amazing Team',
  '/scripts/index.js       $(function()',
  '//admin.dokku.me  Admin Dashboard',
  '//static.dokku.me/logo.png',
  'https://admin.dokku.me  Admin Dashboard',
  'http://example.com/x?y=1 a # b',
  '\t/indented\tcontent\t',
];

function randomLine(random: Random, fragments: readonly string[], noise: number): string {
  if (!random.chance(noise)) {
    const line = random.pick(VALID_LINES);
    return random.chance(0.8) ? line : `${line}${random.pick(fragments)}`;
  }
  return Array.from({ length: random.int(7) }, () => random.pick(fragments)).join('');
}

/** noise: the share of lines made of random fragments; the others are valid lines, a few with a suffix. */
function randomChecksFile(random: Random, fragments: readonly string[], noise = 0.5): string {
  const newline = random.chance(0.2) ? '\r\n' : '\n';
  const text = Array.from({ length: random.int(12) }, () => randomLine(random, fragments, noise)).join(
    newline,
  );
  return random.chance(0.5) ? `${text}${newline}` : text;
}

/**
 * An independent reading of a CHECKS file with the L4 semantics (spec §1.2, §1.3) and Baton's strictness:
 * settings global/last wins; a check is `URL [content]`, content the rest trimmed; scheme then //host.
 * Returns the checks, or the 1-based line that must be rejected.
 */
function reference(text: string): { line: number } | { checks: Partial<PathCheck>[] } {
  const settings: Record<string, number> = { WAIT: 5, TIMEOUT: 30, ATTEMPTS: 5 };
  const checks: Partial<PathCheck>[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const setting = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (setting) {
      const [, name = '', rest = ''] = setting;
      const value = rest.replace(/\s#.*$/, '').trim();
      if (!Object.hasOwn(settings, name) || !/^[0-9]+$/.test(value)) return { line: index + 1 };
      if (name !== 'WAIT' && Number(value) === 0) return { line: index + 1 };
      if (Number(value) > 86_400) return { line: index + 1 };
      settings[name] = Number(value);
      continue;
    }
    const [word = ''] = trimmed.split(/\s+/);
    const content = trimmed.slice(word.length).trim();
    let url = word;
    let scheme: 'http' | 'https' = 'http';
    const prefix = /^(https?):/i.exec(url);
    if (prefix) {
      scheme = (prefix[1] as string).toLowerCase() as 'http' | 'https';
      url = url.slice(prefix[0].length);
    }
    if (!url.startsWith('/')) return { line: index + 1 };
    let host = '';
    let path = url;
    if (url.startsWith('//')) {
      const slash = url.indexOf('/', 2);
      host = slash < 0 ? url.slice(2) : url.slice(2, slash);
      path = slash < 0 ? '/' : url.slice(slash);
      if (host.includes(':')) return { line: index + 1 };
    }
    checks.push({
      path,
      scheme,
      content: content || undefined,
      headers: host ? [{ name: 'Host', value: host }] : [],
      origin: `CHECKS:${index + 1}`,
    });
  }
  return {
    checks: checks.map((check) => ({
      ...check,
      wait: settings.WAIT,
      timeout: settings.TIMEOUT,
      attempts: settings.ATTEMPTS,
    })),
  };
}

function checkSuiteInvariants(suite: CheckSuite, file: string): void {
  expect(suite).toMatchObject({ source: 'CHECKS', file, sequential: true, other: [] });
  suite.startup.forEach((check, index) => {
    expect(check.kind).toBe('path');
    const path = check as PathCheck;
    expect(path.path.startsWith('/')).toBe(true);
    expect(path.attempts).toBeGreaterThanOrEqual(1);
    expect(path.timeout).toBeGreaterThanOrEqual(1);
    expect(path.wait).toBeGreaterThanOrEqual(0);
    expect(['http', 'https']).toContain(path.scheme);
    expect(path.name).toBe(`check-${index + 1}`);
    expect(path.origin).toMatch(new RegExp(`^${escape(file)}:\\d+$`));
    if (path.content !== undefined) {
      expect(path.content).not.toBe('');
      expect(path.content).toBe(path.content.trim());
    }
    for (const header of path.headers) {
      expect(header.name).toBe('Host');
      expect(header.value).not.toMatch(/[\s/:]|^$/);
    }
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('parseChecksFile: fuzz', () => {
  it(`returns a suite or throws a ConfigError naming file:line, for ${RUNS} random files`, () => {
    let parsed = 0;
    let rejected = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = prng(seed);
      const file = random.pick(['CHECKS', 'app/CHECKS', './CHECKS']);
      const text = randomChecksFile(random, FRAGMENTS);
      const result = outcome(() => parseChecksFile(text, file), text, seed);
      if (result.ok) {
        parsed++;
        checkSuiteInvariants(result.value, file);
      } else {
        rejected++;
        expect(result.error.message.startsWith(`${file}:`)).toBe(true);
        const line = Number(/^:(\d+): /.exec(result.error.message.slice(file.length))?.[1]);
        expect(line).toBeGreaterThanOrEqual(1);
        expect(line).toBeLessThanOrEqual(text.split(/\r?\n/).length);
      }
    }
    // The generator must exercise both sides.
    expect(parsed).toBeGreaterThan(RUNS / 10);
    expect(rejected).toBeGreaterThan(RUNS / 10);
  });

  it(`agrees with an independent L4 reading (checks, settings, rejected line) for ${RUNS} random files`, () => {
    // Without Object.prototype names: those are a known bug (see checks-file.test.ts).
    const fragments = FRAGMENTS.filter(
      (fragment) => !['constructor', '__proto__', 'toString'].includes(fragment),
    );
    const seen = { checks: 0, rejected: 0 };
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = prng(seed * 7919);
      const text = randomChecksFile(random, fragments, 0.05);
      const expected = reference(text);
      const result = outcome(() => parseChecksFile(text, 'CHECKS'), text, seed);
      const context = `seed ${seed}: ${JSON.stringify(text)}`;
      if ('line' in expected) {
        seen.rejected++;
        expect(result.ok, context).toBe(false);
        if (!result.ok)
          expect(result.error.message, context).toMatch(new RegExp(`^CHECKS:${expected.line}: `));
      } else {
        expect(result.ok, `${context}: ${result.ok ? '' : result.error.message}`).toBe(true);
        if (result.ok) {
          const actual = result.value.startup.map((check) => {
            const { path, scheme, content, headers, origin, wait, timeout, attempts } = check as PathCheck;
            return { path, scheme, content, headers, origin, wait, timeout, attempts };
          });
          expect(actual, context).toEqual(expected.checks);
          seen.checks += actual.length;
        }
      }
    }
    expect(seen.rejected).toBeGreaterThan(RUNS / 10);
    expect(seen.checks).toBeGreaterThan(RUNS);
  });

  it('never reads a setting as a check, nor a comment or blank line as anything', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = prng(seed * 31);
      const lines = Array.from({ length: 1 + random.int(10) }, () =>
        random.pick(['', '   ', '# x', '#/x', 'WAIT=1', 'TIMEOUT=2 # t', 'ATTEMPTS=3', '/a', '//h/b c d']),
      );
      const suite = parseChecksFile(lines.join('\n'), 'CHECKS');
      const checkLines = lines.flatMap((line, index) =>
        line.startsWith('/') ? [`CHECKS:${index + 1}`] : [],
      );
      expect(suite.startup.map((check) => check.origin)).toEqual(checkLines);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// app.json

const KEYS = [
  'type',
  'name',
  'description',
  'path',
  'content',
  'command',
  'port',
  'scheme',
  'httpHeaders',
  'attempts',
  'timeout',
  'wait',
  'initialDelay',
  'uptime',
  'listening',
  'warn',
  'onFailure',
];

const STRINGS = [
  '',
  'startup',
  'liveness',
  'readiness',
  'STARTUP',
  'boot',
  '/',
  '/health',
  'health',
  'http',
  'https',
  'HTTPS',
  'ftp',
  '3',
  '-1',
  'NaN',
  'Infinity',
  '1e999',
  'null',
  'true',
  'é日本🚀',
  '\u0000',
  '\u2028',
  'constructor',
  '__proto__',
];

const NUMBERS = [
  0,
  -0,
  1,
  2,
  3,
  5,
  30,
  65535,
  65536,
  86400,
  86401,
  -1,
  1.5,
  1e21,
  2 ** 53 + 2,
  1e308,
  -1e308,
  0.1,
];

function randomValue(random: Random, depth: number): unknown {
  const roll = random.int(depth > 4 ? 6 : 9);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
    case 3:
      return random.pick(NUMBERS);
    case 4:
    case 5:
      return random.pick(STRINGS);
    case 6:
      return Array.from({ length: random.int(4) }, () => randomValue(random, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: random.int(4) }, () => [
          random.pick([...KEYS, ...STRINGS]),
          randomValue(random, depth + 1),
        ]),
      );
    default:
      return nested(random, 1 + random.int(200));
  }
}

/** Nested arrays/objects, deep but below the stack limit of JSON.stringify. */
function nested(random: Random, depth: number): unknown {
  let value: unknown = random.pick([null, 1, 'x', [], {}]);
  for (let level = 0; level < depth; level++) value = random.chance(0.5) ? [value] : { web: value };
  return value;
}

/** A plausible check: mostly valid fields and values, sometimes a random one. */
function randomEntry(random: Random): unknown {
  if (random.chance(0.05)) return randomValue(random, 0);
  const entry: Record<string, unknown> = {};
  if (random.chance(0.9)) entry.type = random.pick(['startup', 'startup', 'liveness', 'readiness']);
  const kind = random.pick(['path', 'command', 'uptime', 'listening', 'none']);
  if (kind === 'path') entry.path = random.pick(['/', '/health', '/ready?x=1']);
  if (kind === 'command') entry.command = random.pick([['true'], ['/bin/sh', '-c', 'exit 0']]);
  if (kind === 'uptime') entry.uptime = random.int(20);
  if (kind === 'listening') entry.listening = true;
  const sensible: Record<string, () => unknown> = {
    name: () => `check ${random.int(9)}`,
    description: () => 'a check',
    content: () => 'ok',
    port: () => 1 + random.int(65535),
    scheme: () => random.pick(['http', 'https']),
    httpHeaders: () => [{ name: 'Host', value: 'example.com' }],
    attempts: () => 1 + random.int(10),
    timeout: () => 1 + random.int(60),
    wait: () => random.int(60),
    initialDelay: () => random.int(60),
    warn: () => random.chance(0.5),
    onFailure: () => ({ url: 'https://hooks.example.com' }),
  };
  for (const key of Object.keys(sensible)) {
    if (random.chance(0.15)) entry[key] = (sensible[key] as () => unknown)();
  }
  if (random.chance(0.2))
    entry[random.pick([...KEYS, 'attempt', 'Path', 'initial_delay'])] = randomValue(random, 1);
  return entry;
}

function randomAppJson(random: Random): string {
  const mode = random.int(6);
  if (mode === 0) return JSON.stringify(randomValue(random, 0));
  if (mode === 1) {
    return JSON.stringify({
      healthchecks: random.chance(0.5) ? randomValue(random, 1) : { web: randomValue(random, 2) },
    });
  }
  const web = Array.from({ length: random.int(5) }, () => randomEntry(random));
  const root: Record<string, unknown> = { name: 'web', healthchecks: { web } };
  if (random.chance(0.2)) (root.healthchecks as Record<string, unknown>).worker = randomValue(random, 2);
  const text = JSON.stringify(root, null, random.chance(0.5) ? 2 : undefined);
  if (mode < 5) return text;
  return corrupt(random, text);
}

/** Breaks the JSON text: a deletion, an insertion, a truncation, or a JSON5-ism. */
function corrupt(random: Random, text: string): string {
  const at = random.int(text.length + 1);
  switch (random.int(5)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return (
        text.slice(0, at) +
        random.pick(['{', '}', '[', ']', ',', ':', '"', "'", 'x', 'NaN', '\n']) +
        text.slice(at)
      );
    case 2:
      return text.slice(0, at);
    case 3:
      return text.replace(/"(attempts|timeout|wait)":\s*\d+/, '"$1": NaN');
    default:
      return `${text},`;
  }
}

function appJsonInvariants(suite: CheckSuite, file: string, text: string): void {
  expect(suite).toMatchObject({ source: 'app.json', file, sequential: false });
  const web = (JSON.parse(text) as { healthchecks: { web: unknown[] } }).healthchecks.web;
  expect(suite.startup.length + suite.other.length).toBe(web.length);
  const all: HealthCheck[] = [...suite.startup, ...suite.other.map(({ check }) => check)];
  for (const check of all) {
    expect(['path', 'command', 'uptime', 'listening']).toContain(check.kind);
    expect(Number.isInteger(check.attempts) && check.attempts >= 1).toBe(true);
    expect(Number.isInteger(check.timeout) && check.timeout >= 1).toBe(true);
    expect(Number.isInteger(check.wait) && check.wait >= 0).toBe(true);
    expect(Number.isInteger(check.initialDelay) && check.initialDelay >= 0).toBe(true);
    expect(check.origin).toMatch(/^healthchecks\.web\[\d+\]$/);
    if (check.kind === 'path') {
      expect(check.path.startsWith('/')).toBe(true);
      expect(['http', 'https']).toContain(check.scheme);
    }
    if (check.kind === 'command') expect(check.command.length).toBeGreaterThan(0);
  }
  for (const { type } of suite.other) expect(['liveness', 'readiness']).toContain(type);
}

describe('parseAppJson: fuzz', () => {
  it(`returns a suite or undefined, or throws a ConfigError naming the file, for ${RUNS} random files`, () => {
    const seen = { suite: 0, none: 0, rejected: 0 };
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = prng(seed * 104729);
      const file = random.pick(['app.json', 'web/app.json', 'config/health.json']);
      const text = randomAppJson(random);
      const result = outcome(() => parseAppJson(text, file), text, seed);
      if (!result.ok) {
        seen.rejected++;
        expect(result.error.message.startsWith(`${file}:`), result.error.message).toBe(true);
        expect(result.error.message).toMatch(new RegExp(`^${escape(file)}(:\\d+)?: `));
      } else if (result.value === undefined) {
        seen.none++;
      } else {
        seen.suite++;
        appJsonInvariants(result.value, file, text);
      }
    }
    expect(seen.suite).toBeGreaterThan(RUNS / 10);
    expect(seen.none).toBeGreaterThan(RUNS / 100);
    expect(seen.rejected).toBeGreaterThan(RUNS / 10);
  });

  it('throws only ConfigError for arbitrary text, including NaN-like tokens and huge numbers', () => {
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"healthchecks"',
      '"web"',
      ':',
      ',',
      'NaN',
      '-Infinity',
      '1e999',
      '-0',
      '"type"',
      '"startup"',
      'null',
      ' ',
      '\n',
      '\ufeff',
      '"\\u0000"',
      '0x10',
      '.5',
      "'x'",
    ];
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = prng(seed * 15485863);
      const text = Array.from({ length: random.int(30) }, () => random.pick(pieces)).join('');
      const result = outcome(() => parseAppJson(text, 'app.json'), text, seed);
      if (!result.ok) expect(result.error.message).toMatch(/^app\.json(:\d+)?: /);
    }
  });

  it('accepts huge and special numbers only where they are in range', () => {
    for (const raw of ['1e999', '-1e999', '1e21', '9007199254740993', '-0', '0.0', '3.0', '1E0']) {
      const text = `{"healthchecks":{"web":[{"type":"startup","attempts":${raw}}]}}`;
      const result = outcome(() => parseAppJson(text, 'app.json'), text, 0);
      if (result.ok) {
        const attempts = result.value?.startup[0]?.attempts as number;
        expect(Number.isInteger(attempts) && attempts >= 1 && attempts <= 86_400, raw).toBe(true);
      } else {
        expect(result.error.message, raw).toMatch(/^app\.json: healthchecks\.web\[0\]\.attempts: /);
      }
    }
  });
});
