// The formats of single values: paths, addresses, names. Each names the input or file:line it checks.

import type { Timing } from '../checks/model';
import { ConfigError, type Source } from '../errors';

/** A path the workflow reads from the checkout: relative, and never leaving the workspace. */
export function workspacePath(path: string, source: Source): string {
  const parts = path.split(/[\\/]+/);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || parts.includes('..')) {
    throw new ConfigError(`"${path}" must be a path inside the workspace (relative, without ..)`, source);
  }
  return path;
}

export function absolutePath(path: string, source: Source): string {
  if (!path.startsWith('/')) throw new ConfigError(`"${path}" must be an absolute path`, source);
  return path.replace(/\/+$/, '') || '/';
}

/**
 * An absolute path on the hosts that goes into an nginx directive: nothing that could end the directive
 * or start another (whitespace, ; { } quotes $ # \\ or control characters).
 */
export function nginxPath(path: string, source: Source, maxLength = 200): string {
  const absolute = absolutePath(path, source);
  if (/[\s;{}'"`$#\\\p{Cc}]/u.test(path)) {
    throw new ConfigError(
      `${JSON.stringify(path)} cannot be used in nginx's configuration: no whitespace, ;, {, }, quotes, $, # or \\`,
      source,
    );
  }
  if (absolute.length > maxLength)
    throw new ConfigError(`"${path}" is too long (at most ${maxLength} characters)`, source);
  return absolute;
}

export function handover(text: string, source: Source): 'sockets' | 'reload' {
  if (text === 'sockets' || text === 'reload') return text;
  throw new ConfigError(`"${text}" is not a hand-over; expected sockets or reload`, source);
}

export function listenAddress(text: string, source: Source): string {
  if (!/^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|\*):)?\d{1,5}$/i.test(text)) {
    throw new ConfigError(`"${text}" is not an nginx listen address; expected PORT or ADDRESS:PORT`, source);
  }
  const port = Number(text.slice(text.lastIndexOf(':') + 1));
  if (port < 1 || port > 65535) throw new ConfigError(`"${text}": the port must be 1..65535`, source);
  return text;
}

/** An HTTP path to probe. */
export function checkPath(path: string, source: Source): string {
  if (path && !/^\/[\x21-\x7e]*$/.test(path)) {
    const why = 'must start with / and have no spaces or non-ASCII characters (percent-encode them)';
    throw new ConfigError(`"${path}" ${why}`, source);
  }
  return path;
}

export function timing(text: string, source: Source): Timing {
  if (text === 'fast' || text === 'dokku') return text;
  throw new ConfigError(`"${text}" is not a checks timing; expected fast or dokku`, source);
}

export function environmentName(text: string, source: Source): string {
  if (!text || text.length > 255 || /[\r\n]/.test(text)) {
    throw new ConfigError(`"${text}" is not a GitHub environment name`, source);
  }
  return text;
}

/** A release id as the status command lists them ('' for none). */
export function releaseName(text: string, source: Source): string {
  if (text && !/^[\w.-]+$/.test(text))
    throw new ConfigError(`"${text}" is not a release id (see the status command)`, source);
  return text;
}
