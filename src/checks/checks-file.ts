import { ConfigError } from '../errors';
import type { CheckSuite, PathCheck } from './model';

/** Dokku's defaults for CHECKS files (DOKKU_CHECKS_WAIT / _TIMEOUT / _ATTEMPTS). */
export const CHECKS_DEFAULTS = { WAIT: 5, TIMEOUT: 30, ATTEMPTS: 5 } as const;

type Setting = keyof typeof CHECKS_DEFAULTS;
const SETTING = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const CHECK = /^(?:(https?):)?(\/\/[^/\s]*)?(\/\S*)?$/i;

/**
 * Parses a Dokku CHECKS file: blank lines and # comments, WAIT=/TIMEOUT=/ATTEMPTS= (last one wins,
 * for every check, as in Dokku), and check lines `PATH [EXPECTED CONTENT]`. Strict where Dokku was
 * silent: anything else is an error naming file:line.
 */
export function parseChecksFile(text: string, file: string): CheckSuite {
  const settings: Record<Setting, number> = { ...CHECKS_DEFAULTS };
  const lines: { line: number; url: string; content?: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const fail = (why: string) => new ConfigError(`${file}:${line}: ${why}`);
    const setting = SETTING.exec(trimmed);
    if (setting) {
      const [, name = '', rawValue = ''] = setting;
      if (!Object.hasOwn(CHECKS_DEFAULTS, name))
        throw fail(`unknown setting "${name}"; expected WAIT=, TIMEOUT= or ATTEMPTS=`);
      const value = rawValue.replace(/\s#.*$/, '').trim();
      if (!/^\d+$/.test(value))
        throw fail(
          `${name} must be a whole number of ${name === 'ATTEMPTS' ? 'attempts' : 'seconds'}, got "${value}"`,
        );
      if (name !== 'WAIT' && Number(value) < 1) throw fail(`${name} must be at least 1`);
      if (Number(value) > 86_400) throw fail(`${name} must be at most 86400, got ${value.slice(0, 12)}`);
      settings[name as Setting] = Number(value);
      return;
    }
    const url = trimmed.split(/\s+/)[0] ?? '';
    const content = trimmed.slice(url.length).trim();
    lines.push({ line, url, content: content || undefined });
    const match = CHECK.exec(url);
    if (!match || (!match[2] && !match[3])) {
      throw fail(`"${url}" is not a check: expected a path (/health), //host/path or http(s)://host/path`);
    }
    if (match[2]?.includes(':'))
      throw fail(`"${url}": omit the port; checks always go to the container's port`);
  });
  const startup = lines.map(({ line, url, content }, index) =>
    toCheck(url, content, `${file}:${line}`, index, settings),
  );
  return { source: 'CHECKS', file, sequential: true, startup, other: [] };
}

function toCheck(
  url: string,
  content: string | undefined,
  origin: string,
  index: number,
  settings: Record<Setting, number>,
): PathCheck {
  const match = CHECK.exec(url) as RegExpExecArray;
  const host = match[2]?.slice(2);
  return {
    kind: 'path',
    name: `check-${index + 1}`,
    origin,
    path: match[3] ?? '/',
    scheme: (match[1]?.toLowerCase() as 'http' | 'https' | undefined) ?? 'http',
    content,
    headers: host ? [{ name: 'Host', value: host }] : [],
    status: 'dokku',
    attempts: settings.ATTEMPTS,
    timeout: settings.TIMEOUT,
    wait: settings.WAIT,
    initialDelay: 0,
  };
}
