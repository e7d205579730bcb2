import { parse as parseShell } from 'shell-quote';
import { ConfigError, type Source } from '../errors';

// Parsers for one setting each. Inputs arrive as strings, baton.yml values as YAML types: accept both.

export function asString(value: unknown, source: Source): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigError(`expected a string, got ${describe(value)}`, source);
}

export function asBoolean(value: unknown, source: Source): boolean {
  if (typeof value === 'boolean') return value;
  const text = asString(value, source).toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (['false', 'no', 'off', '0'].includes(text)) return false;
  throw new ConfigError(`expected true or false, got "${text}"`, source);
}

export function asInteger(value: unknown, source: Source, min: number, max: number): number {
  const text = asString(value, source);
  if (!/^\d+$/.test(text)) throw new ConfigError(`expected a whole number, got "${text}"`, source);
  const number = Number(text);
  if (number < min || number > max) throw new ConfigError(`expected ${min}..${max}, got ${number}`, source);
  return number;
}

/** A number, whole or decimal (e.g. 0.5, 1.2), within min..max. */
export function asNumber(value: unknown, source: Source, min: number, max: number): number {
  const text = asString(value, source);
  if (!/^\d+(?:\.\d+)?$/.test(text)) throw new ConfigError(`expected a number, got "${text}"`, source);
  const number = Number(text);
  if (number < min || number > max) throw new ConfigError(`expected ${min}..${max}, got ${number}`, source);
  return number;
}

/** A list: YAML sequence, or a string with one item per line or comma-separated. */
export function asList(value: unknown, source: Source): string[] {
  if (Array.isArray(value)) return value.map((item) => asString(item, source)).filter(Boolean);
  return asString(value, source)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item && !item.startsWith('#'));
}

/** A list of one item per line (commas belong to the items, as in type=registry,ref=...). */
export function asLines(value: unknown, source: Source): string[] {
  if (Array.isArray(value)) return value.map((item) => asString(item, source)).filter(Boolean);
  return asString(value, source)
    .split(/\r?\n/)
    .map((item) => item.trim())
    .filter((item) => item && !item.startsWith('#'));
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * KEY=VALUE pairs: a YAML mapping, or lines of KEY=VALUE (blank lines and # comments ignored); values are
 * kept as written (only the \r of a CRLF line end goes). With
 * `secret`, errors never quote any part of a line: a mistyped separator could put the value in the key.
 */
export function asKeyValues(value: unknown, source: Source, secret = false): Record<string, string> {
  const pairs: [string, string, number | undefined][] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) {
      pairs.push([key, typeof item === 'string' ? item : asString(item, source), undefined]);
    }
  } else {
    const lines = typeof value === 'string' ? value.split(/\r?\n/) : asList(value, source);
    lines.forEach((line, index) => {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq < 0 || !line.slice(0, eq).trim()) {
        throw new ConfigError(`line ${index + 1}: expected KEY=VALUE`, source);
      }
      // The value is kept verbatim, trailing spaces too: a secret may end in one.
      pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1), index + 1]);
    });
  }
  const result: Record<string, string> = {};
  for (const [key, item, line] of pairs) {
    if (!ENV_NAME.test(key)) {
      const where = line ? `line ${line}: ` : '';
      const what = secret ? 'the name before "="' : `"${key}"`;
      throw new ConfigError(`${where}${what} is not a valid variable name (letters, digits and _)`, source);
    }
    if (/[\r\n]/.test(item))
      throw new ConfigError(
        `the value of ${key} spans several lines; Docker env files cannot hold that`,
        source,
      );
    result[key] = item;
  }
  return result;
}

/** A command line: a YAML list of arguments, or a string split the way a shell would (no operators). */
export function asCommand(value: unknown, source: Source): string[] {
  const argv = Array.isArray(value)
    ? value.map((item) => asString(item, source))
    : parseArgs(asString(value, source), source);
  if (argv.length === 0) throw new ConfigError('expected a command, got nothing', source);
  return argv;
}

function parseArgs(text: string, source: Source): string[] {
  return parseShell(text, (name) => `$${name}`).map((token) => {
    if (typeof token === 'string') return token;
    throw new ConfigError(
      `"${text}" uses shell syntax (${JSON.stringify(token)}); give a plain command`,
      source,
    );
  });
}

function describe(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : typeof value;
}
