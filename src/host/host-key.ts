import {
  fingerprint,
  hostKeyAlgorithms,
  type KnownKey,
  keysForHost,
  knownHostsName,
  linesForHost,
  revokedKeys,
} from './known-hosts';

export interface HostKeyPolicy {
  knownHosts: string;
  trustFirstUse: boolean;
}

export interface HostKeyCheck {
  /** Host key algorithms to offer (empty: ssh2's defaults). */
  algorithms: string[];
  verify(key: Buffer): boolean;
  /** Why the last key was refused, or a note when it was trusted on first use. */
  outcome?: { refused: boolean; message: string };
}

/** Decides whether to accept the key a host presents: it must be in known-hosts, unless first use is allowed. */
export function hostKeyCheck(host: string, port: number, policy: HostKeyPolicy): HostKeyCheck {
  const known = keysForHost(policy.knownHosts, host, port);
  const pinned = linesForHost(policy.knownHosts, host, port).map((entry) => entry.line);
  const revoked = revokedKeys(policy.knownHosts);
  const name = knownHostsName(host, port);
  const check: HostKeyCheck = {
    algorithms: hostKeyAlgorithms(known),
    verify(key) {
      const offered = { type: keyType(key), key: key.toString('base64') };
      if (revoked.includes(offered.key)) {
        const print = fingerprint(offered.key);
        check.outcome = {
          refused: true,
          message: `host key verification failed for ${name}: its key ${print} is marked @revoked in known-hosts`,
        };
        return false;
      }
      if (known.some((entry) => entry.key === offered.key)) return true;
      check.outcome = decide(name, offered, { known, pinned }, policy.trustFirstUse);
      return !check.outcome.refused;
    },
  };
  return check;
}

interface Listed {
  known: KnownKey[];
  /** Numbers of every line that names the host, whether or not Baton can use its key. */
  pinned: number[];
}

function decide(name: string, offered: KnownKey, listed: Listed, trustFirstUse: boolean) {
  const line = `${name} ${offered.type} ${offered.key}`;
  const print = fingerprint(offered.key);
  if (listed.known.length > 0) {
    const known = listed.known.map((entry) => `${entry.type} ${fingerprint(entry.key)}`).join(', ');
    return {
      refused: true,
      message:
        `host key verification failed for ${name}: it offered ${offered.type} ${print}, which does not match ` +
        `known-hosts (${known}). ` +
        'The host key changed or someone is intercepting the connection; refusing to connect.',
    };
  }
  if (listed.pinned.length > 0) {
    // A pinned host is never trusted on first use, even when no listed key is one Baton can compare.
    const lines = listed.pinned.join(', ');
    return {
      refused: true,
      message:
        `host key verification failed for ${name}: known-hosts names it (line ${lines}) but lists no key ` +
        `Baton can compare with the one it offered, ${offered.type} ${print}; refusing to connect` +
        `${trustFirstUse ? ' (trust-first-use applies only to hosts known-hosts does not name)' : ''}. ` +
        `If the key is right, pin it: ${line}`,
    };
  }
  if (trustFirstUse) {
    return {
      refused: false,
      message: `trusting ${name} on first use: ${offered.type} ${print}. Pin it in known-hosts: ${line}`,
    };
  }
  return {
    refused: true,
    message:
      `host key verification failed for ${name}: its key ${offered.type} ${print} is not in known-hosts. ` +
      `Add this line to the known-hosts input after checking the fingerprint: ${line} ` +
      '(or set trust-first-use: true to accept an unknown key once).',
  };
}

/** The key type is the first string of the SSH public key blob. */
function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('ascii');
}
