import { createHash, createHmac } from 'node:crypto';
import { utils } from 'ssh2';

export interface KnownKey {
  type: string;
  /** base64 of the public key blob, as in known_hosts and the SSH wire format. */
  key: string;
}

/** One known_hosts line: `[@marker] pattern[,pattern…] type key [comment]`. */
export interface KnownHostsLine extends KnownKey {
  /** 1-based line number in the known-hosts text. */
  line: number;
  marker: string;
  patterns: string[];
}

/** Something wrong with a line: an error refuses the configuration, a warning is logged. */
export interface KnownHostsProblem {
  line: number;
  message: string;
  warning: boolean;
}

/** Host key types ssh2 can verify (its SUPPORTED_SERVER_HOST_KEY, by key type). */
export const HOST_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'ssh-dss',
];

/** SHA256 fingerprint as OpenSSH prints it. */
export function fingerprint(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` elsewhere; lower case, as OpenSSH. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** The lines of known_hosts text that have a host pattern, a key type and a key (others are problems). */
export function parseKnownHosts(text: string): KnownHostsLine[] {
  const lines: KnownHostsLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    const marker = fields[0].startsWith('@') ? (fields.shift() as string) : '';
    const [names, type, key] = fields;
    if (names && type && key) lines.push({ line: index + 1, marker, patterns: names.split(','), type, key });
  });
  return lines;
}

/** Keys that known_hosts text lists for a host (plain, hashed or wildcard names), of types ssh2 can check. */
export function keysForHost(text: string, host: string, port: number): KnownKey[] {
  return linesForHost(text, host, port)
    .filter((entry) => entry.marker === '' && HOST_KEY_TYPES.includes(entry.type))
    .map(({ type, key }) => ({ type, key }));
}

/** Every line that names the host (any marker but @revoked, any key type): the host is pinned by them. */
export function linesForHost(text: string, host: string, port: number): KnownHostsLine[] {
  const name = knownHostsName(host, port);
  return parseKnownHosts(text).filter(
    (entry) => entry.marker !== '@revoked' && lineMatches(entry.patterns, name),
  );
}

/** Keys marked @revoked: refused for every host, whatever else is configured (as OpenSSH does). */
export function revokedKeys(text: string): string[] {
  return parseKnownHosts(text)
    .filter((entry) => entry.marker === '@revoked')
    .map((entry) => entry.key);
}

/** OpenSSH semantics: some pattern matches and no negated (!) pattern does. */
function lineMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!patternMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|')) return hashMatches(pattern, name);
  const regex = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(name);
}

function hashMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** What is wrong with each line of known_hosts text, in line order. */
export function knownHostsProblems(text: string): KnownHostsProblem[] {
  const problems: KnownHostsProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    const line = index + 1;
    const report = (message: string, warning = false) => problems.push({ line, message, warning });
    const marker = fields[0].startsWith('@') ? (fields.shift() as string) : '';
    const [names, type, key] = fields;
    if (!names || !type || !key) return report('expected "host[,host…] key-type base64-key"');
    if (marker && marker !== '@revoked' && marker !== '@cert-authority')
      return report(`unknown marker ${marker}; known_hosts has @revoked and @cert-authority`);
    const patternProblem = names.split(',').map(patternError).find(Boolean);
    if (patternProblem && marker !== '@revoked') return report(patternProblem);
    if (marker === '@cert-authority') return report(CERT_AUTHORITY, true);
    const keyProblem = keyError(type, key);
    if (keyProblem) report(keyProblem.message, keyProblem.warning);
  });
  return problems;
}

const CERT_AUTHORITY =
  'Baton checks host keys, not host certificates: this @cert-authority line is ignored, and the hosts ' +
  'it names are never trusted on first use. Pin their keys instead (ssh-keyscan -t ed25519 HOST)';

/** Why Baton cannot match a host pattern, if it cannot. */
function patternError(pattern: string): string | undefined {
  const shown = `host name "${pattern}"`;
  if (!pattern || pattern === '!') return 'empty host name in the comma-separated list';
  if (pattern.startsWith('|')) {
    const [, version, salt, hash, ...rest] = pattern.split('|');
    const sized = (text = '', bytes = 20) => Buffer.from(text, 'base64').length === bytes;
    if (version !== '1' || !sized(salt) || !sized(hash) || rest.length > 0)
      return `hashed ${shown} is malformed; expected |1|salt|hash as ssh-keygen -H writes it`;
    return undefined;
  }
  const bare = pattern.replace(/^!/, '');
  if (/^[^:[\]]+:\d+$/.test(bare))
    return `${shown} never matches: write a port as [host]:port, e.g. [${bare.replace(/:(\d+)$/, ']:$1')}`;
  const port = /^\[[^\]]+\](?::(\d+))?$/.exec(bare);
  if (port && (!port[1] || port[1] === '22'))
    return `${shown} never matches: on port 22 write the host without brackets or port`;
  if (bare.startsWith('[') && !port) return `${shown} is malformed; expected [host]:port`;
  return undefined;
}

/** Why a line's key cannot be used: an unknown type or a damaged key (error), a type ssh2 lacks (warning). */
function keyError(type: string, key: string): { message: string; warning: boolean } | undefined {
  if (!HOST_KEY_TYPES.includes(type)) {
    if (/^sk-|-cert-v01@openssh\.com$/.test(type)) {
      const message = `Baton cannot check ${type} host keys: this line is ignored (its hosts are never trusted on first use)`;
      return { message, warning: true };
    }
    return {
      message: `"${type}" is not a host key type; expected one of ${HOST_KEY_TYPES.join(', ')}`,
      warning: false,
    };
  }
  const parsed = utils.parseKey(`${type} ${key}`);
  if (parsed instanceof Error || parsed.type !== type || parsed.getPublicSSH().toString('base64') !== key) {
    const message = `the ${type} key is not a valid ${type} public key (cut short or changed when copied?)`;
    return { message, warning: false };
  }
  return undefined;
}

/** Host key algorithms to offer for the key types we know, so the server presents a key we can compare. */
export function hostKeyAlgorithms(keys: KnownKey[]): string[] {
  const algorithms = new Set<string>();
  for (const { type } of keys) {
    if (type === 'ssh-rsa')
      for (const alg of ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) algorithms.add(alg);
    else algorithms.add(type);
  }
  return [...algorithms];
}
