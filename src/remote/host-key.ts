import {
  fingerprint,
  hostKeyAlgorithms,
  type KnownKey,
  keysForHost,
  knownHostsName,
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
      check.outcome = decide(name, offered, known, policy.trustFirstUse);
      return !check.outcome.refused;
    },
  };
  return check;
}

function decide(name: string, offered: KnownKey, known: KnownKey[], trustFirstUse: boolean) {
  const line = `${name} ${offered.type} ${offered.key}`;
  const print = fingerprint(offered.key);
  if (known.length > 0) {
    return {
      refused: true,
      message:
        `host key verification failed for ${name}: it offered ${offered.type} ${print}, which does not match ` +
        `known-hosts (${known.map((entry) => `${entry.type} ${fingerprint(entry.key)}`).join(', ')}). ` +
        'The host key changed or someone is intercepting the connection; refusing to connect.',
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
