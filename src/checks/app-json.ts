import { ConfigError } from '../errors';
import type { CheckSuite, CheckType, HealthCheck } from './model';

/** docker-container-healthchecker's defaults for app.json healthchecks. */
export const APP_JSON_DEFAULTS = { attempts: 3, timeout: 5, wait: 5, initialDelay: 0 } as const;

const TYPES: CheckType[] = ['startup', 'liveness', 'readiness'];
const FIELDS = new Set([
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
]);

type Json = Record<string, unknown>;

/**
 * Reads `healthchecks.web[]` of an app.json with Dokku's fields and defaults. Returns undefined when the
 * file declares no web healthchecks. Errors name the JSON path (and the line for invalid JSON).
 */
export function parseAppJson(text: string, file: string): CheckSuite | undefined {
  const root = parseJson(text, file);
  const at = (path: string, why: string) => new ConfigError(`${file}: ${path}: ${why}`);
  if (!isObject(root)) throw at('(top level)', 'expected an object');
  if (root.healthchecks === undefined) return undefined;
  if (!isObject(root.healthchecks)) throw at('healthchecks', 'expected an object of process types');
  const web = root.healthchecks.web;
  if (web === undefined) return undefined;
  if (!Array.isArray(web)) throw at('healthchecks.web', 'expected a list of checks');
  const suite: CheckSuite = { source: 'app.json', file, sequential: false, startup: [], other: [] };
  web.forEach((entry, index) => {
    const path = `healthchecks.web[${index}]`;
    const field = new Fields(entry, path, at);
    const type = field.oneOf('type', TYPES);
    if (!type) throw at(`${path}.type`, `required: one of ${TYPES.join(', ')}`);
    const check = toCheck(field, path, index);
    if (type === 'startup') suite.startup.push(check);
    else suite.other.push({ type, check });
  });
  return suite;
}

function toCheck(field: Fields, origin: string, index: number): HealthCheck {
  const common = {
    name: field.string('name') ?? `healthcheck-${index + 1}`,
    origin,
    // As the healthchecker: zero or less means the default.
    attempts: positive(field.integer('attempts', -86_400)) ?? APP_JSON_DEFAULTS.attempts,
    timeout: positive(field.integer('timeout', -86_400)) ?? APP_JSON_DEFAULTS.timeout,
    wait: positive(field.integer('wait', -86_400)) ?? APP_JSON_DEFAULTS.wait,
    initialDelay: field.integer('initialDelay', 0) ?? APP_JSON_DEFAULTS.initialDelay,
  };
  field.string('description');
  field.boolean('warn');
  field.object('onFailure');
  const command = field.stringList('command');
  const path = field.string('path');
  const uptime = field.integer('uptime', 0);
  const listening = field.boolean('listening');
  const port = field.integer('port', 1, 65535);
  const kinds = [
    command && 'command',
    path !== undefined && 'path',
    uptime !== undefined && 'uptime',
    listening && 'listening',
  ];
  const declared = kinds.filter(Boolean);
  if (declared.length > 1) field.fail(`declares both ${declared.join(' and ')}; a check does one thing`);
  for (const name of ['content', 'scheme', 'httpHeaders'] as const) {
    if (field.has(name) && path === undefined) field.fail(`"${name}" only applies to a path check`);
  }
  if (command) return { ...common, kind: 'command', command };
  if (path !== undefined) {
    if (!path.startsWith('/')) field.fail('path must start with /', 'path');
    return {
      ...common,
      kind: 'path',
      path,
      port,
      scheme: field.oneOf('scheme', ['http', 'https']) ?? 'http',
      content: field.string('content'),
      headers: field.headers('httpHeaders'),
      status: 'dokku',
    };
  }
  if (listening) return { ...common, kind: 'listening', port };
  return { ...common, kind: 'uptime', uptime: uptime ?? 0 };
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

class Fields {
  private readonly entry: Json;
  constructor(
    entry: unknown,
    private readonly path: string,
    private readonly at: (path: string, why: string) => ConfigError,
  ) {
    if (!isObject(entry)) throw at(path, 'expected an object');
    this.entry = entry;
    for (const key of Object.keys(entry)) {
      if (!FIELDS.has(key))
        throw at(`${path}.${key}`, `unknown field; expected one of ${[...FIELDS].join(', ')}`);
    }
  }

  has(key: string): boolean {
    return this.entry[key] !== undefined;
  }

  fail(why: string, key?: string): never {
    throw this.at(key ? `${this.path}.${key}` : this.path, why);
  }

  private wrong(key: string, expected: string): never {
    this.fail(`expected ${expected}, got ${shortJson(this.entry[key])}`, key);
  }

  string(key: string): string | undefined {
    const value = this.entry[key];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : this.wrong(key, 'a string');
  }

  boolean(key: string): boolean | undefined {
    const value = this.entry[key];
    if (value === undefined) return undefined;
    return typeof value === 'boolean' ? value : this.wrong(key, 'true or false');
  }

  integer(key: string, min: number, max = 86_400): number | undefined {
    const value = this.entry[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.wrong(key, 'a whole number');
    if (value < min || value > max) this.fail(`expected ${min}..${max}, got ${value}`, key);
    return value;
  }

  oneOf<T extends string>(key: string, options: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase() as T;
    return options.includes(lower) ? lower : this.wrong(key, `one of ${options.join(', ')}`);
  }

  stringList(key: string): string[] | undefined {
    const value = this.entry[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
      return this.wrong(key, 'a non-empty list of strings (the command and its arguments)');
    }
    return value as string[];
  }

  object(key: string): Json | undefined {
    const value = this.entry[key];
    if (value === undefined) return undefined;
    return isObject(value) ? value : this.wrong(key, 'an object');
  }

  headers(key: string): { name: string; value: string }[] {
    const value = this.entry[key];
    if (value === undefined) return [];
    const valid = (item: unknown) =>
      isObject(item) && typeof item.name === 'string' && typeof item.value === 'string';
    if (!Array.isArray(value) || !value.every(valid))
      return this.wrong(key, 'a list of {"name": …, "value": …}');
    return value as { name: string; value: string }[];
  }
}

/** A value for an error message: short, and safe for any nesting depth. */
function shortJson(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number out of range';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? '';
    const offset = errorOffset(text, message);
    const line = offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
    throw new ConfigError(`${file}${line ? `:${line}` : ''}: invalid JSON: ${message}`);
  }
}

/** Where JSON.parse failed: its "position N", or the first unexpected token outside a string. */
function errorOffset(text: string, message: string): number | undefined {
  const position = /position (\d+)/.exec(message)?.[1];
  if (position) return Number(position);
  const token = /Unexpected token '(.)'/.exec(message)?.[1];
  if (!token) return undefined;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString && char === '\\') index++;
    else if (char === '"') inString = !inString;
    else if (!inString && char === token) return index;
  }
  return undefined;
}
