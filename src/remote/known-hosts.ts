import { createHash, createHmac } from 'node:crypto';

export interface KnownKey {
  type: string;
  /** base64 of the public key blob, as in known_hosts and the SSH wire format. */
  key: string;
}

/** SHA256 fingerprint as OpenSSH prints it. */
export function fingerprint(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Keys that known_hosts text lists for a host (plain or hashed names, wildcards not supported). */
export function keysForHost(text: string, host: string, port: number): KnownKey[] {
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields[0]?.startsWith('@')) continue; // @revoked: see revokedKeys; @cert-authority: not supported
    const [names, type, key] = fields;
    if (!names || !type || !key) continue;
    if (names.split(',').some((entry) => nameMatches(entry, name))) keys.push({ type, key });
  }
  return keys;
}

/** Keys marked @revoked: refused for every host, whatever else is configured (as OpenSSH does). */
export function revokedKeys(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[0] === '@revoked' && fields[3])
    .map((fields) => fields[3] as string);
}

function nameMatches(entry: string, name: string): boolean {
  if (!entry.startsWith('|1|')) return entry === name;
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
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
