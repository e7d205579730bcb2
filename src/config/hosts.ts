import { ConfigError, type Source } from '../errors';

import type { HostSpec } from '../model/host';

export { type HostSpec, hostLabel } from '../model/host';

const HOST = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses `user@host[:port]` (IPv6 as `[addr]:port`); the user defaults to root as with ssh. */
export function parseHost(text: string, source: Source): HostSpec {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : 'root';
  const rest = at >= 0 ? text.slice(at + 1) : text;
  const match = HOST.exec(rest);
  if (!USER.test(user) || !match) {
    throw new ConfigError(`"${text}" is not a host; expected user@host or user@host:port`, source);
  }
  const port = match[3] ? Number(match[3]) : 22;
  if (port < 1 || port > 65535) throw new ConfigError(`"${text}": port must be 1..65535`, source);
  return { user, host: match[1] ?? match[2] ?? '', port };
}
