import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprint,
  hostKeyAlgorithms,
  keysForHost,
  knownHostsName,
  linesForHost,
} from '../../../src/host/known-hosts';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC7';
const ECDSA = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmK';

/** A hashed known_hosts name, the way OpenSSH writes it (HashKnownHosts yes): HMAC-SHA1 keyed by a salt. */
function hashedName(name: string, salt = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

describe('knownHostsName', () => {
  it('is the bare host on port 22 and [host]:port elsewhere', () => {
    expect(knownHostsName('web1', 22)).toBe('web1');
    expect(knownHostsName('web1', 2222)).toBe('[web1]:2222');
    expect(knownHostsName('2001:db8::1', 2222)).toBe('[2001:db8::1]:2222');
  });
});

describe('keysForHost', () => {
  it('finds keys listed under the plain host name', () => {
    const text = `web1 ssh-ed25519 ${ED}\nweb2 ssh-rsa ${RSA}\n`;
    expect(keysForHost(text, 'web1', 22)).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(text, 'web2', 22)).toEqual([{ type: 'ssh-rsa', key: RSA }]);
    expect(keysForHost(text, 'web3', 22)).toEqual([]);
  });

  it('does not match names by prefix or suffix', () => {
    const text = `web1.example.com ssh-ed25519 ${ED}\n`;
    expect(keysForHost(text, 'web1', 22)).toEqual([]);
    expect(keysForHost(text, 'example.com', 22)).toEqual([]);
  });

  it('keeps ports apart: [host]:port entries are only for that port', () => {
    const text = `[web1]:2222 ssh-ed25519 ${ED}\nweb1 ssh-rsa ${RSA}\n`;
    expect(keysForHost(text, 'web1', 2222)).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(text, 'web1', 22)).toEqual([{ type: 'ssh-rsa', key: RSA }]);
    expect(keysForHost(text, 'web1', 2200)).toEqual([]);
  });

  it('matches any of comma-separated names', () => {
    const text = `web1.example.com,203.0.113.7,[203.0.113.7]:2222 ecdsa-sha2-nistp256 ${ECDSA}\n`;
    const key = [{ type: 'ecdsa-sha2-nistp256', key: ECDSA }];
    expect(keysForHost(text, 'web1.example.com', 22)).toEqual(key);
    expect(keysForHost(text, '203.0.113.7', 22)).toEqual(key);
    expect(keysForHost(text, '203.0.113.7', 2222)).toEqual(key);
    expect(keysForHost(text, '203.0.113.8', 22)).toEqual([]);
  });

  it('matches hashed names', () => {
    const text = [
      `${hashedName('web1')} ssh-ed25519 ${ED}`,
      `${hashedName('[web1]:2222')} ssh-rsa ${RSA}`,
      `${hashedName('web2')} ecdsa-sha2-nistp256 ${ECDSA}`,
    ].join('\n');
    expect(keysForHost(text, 'web1', 22)).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(text, 'web1', 2222)).toEqual([{ type: 'ssh-rsa', key: RSA }]);
    expect(keysForHost(text, 'web2', 22)).toEqual([{ type: 'ecdsa-sha2-nistp256', key: ECDSA }]);
    expect(keysForHost(text, 'web3', 22)).toEqual([]);
  });

  it('ignores malformed hashed names', () => {
    expect(keysForHost(`|1|onlysalt ssh-ed25519 ${ED}\n|1|| ssh-rsa ${RSA}`, 'web1', 22)).toEqual([]);
  });

  it('skips comments, blank lines, marker lines and incomplete lines; keeps every matching line', () => {
    const text = [
      '# keys for web1',
      '',
      '   ',
      `  web1 ssh-ed25519 ${ED} root@web1  `,
      `@cert-authority web1 ssh-rsa ${RSA}`,
      `@revoked web1 ssh-rsa ${RSA}`,
      'web1 ssh-rsa',
      `web1\tecdsa-sha2-nistp256\t${ECDSA}\r`,
    ].join('\r\n');
    expect(keysForHost(text, 'web1', 22)).toEqual([
      { type: 'ssh-ed25519', key: ED },
      { type: 'ecdsa-sha2-nistp256', key: ECDSA },
    ]);
  });

  it('compares host names case-insensitively, as OpenSSH does (plain and hashed)', () => {
    const text = `Web1.Example.COM ssh-ed25519 ${ED}\n${hashedName('[web2.example.com]:2222')} ssh-rsa ${RSA}\n`;
    expect(keysForHost(text, 'web1.example.com', 22)).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(text, 'WEB1.example.com', 22)).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(text, 'Web2.Example.Com', 2222)).toEqual([{ type: 'ssh-rsa', key: RSA }]);
  });

  it('matches * and ? wildcards, and a !negated pattern excludes a host', () => {
    const text = `*.example.com,!db.example.com ssh-ed25519 ${ED}\n[web?]:2222 ssh-rsa ${RSA}\n`;
    expect(keysForHost(text, 'web1.example.com', 22)).toEqual([{ type: 'ssh-ed25519', key: ED }]);
    expect(keysForHost(text, 'db.example.com', 22)).toEqual([]);
    expect(keysForHost(text, 'example.com', 22)).toEqual([]);
    expect(keysForHost(text, 'web1.example.org', 22)).toEqual([]);
    expect(keysForHost(text, 'web7', 2222)).toEqual([{ type: 'ssh-rsa', key: RSA }]);
    expect(keysForHost(text, 'web17', 2222)).toEqual([]);
    expect(keysForHost(text, 'web7', 22)).toEqual([]);
  });

  it('treats other regex characters in a pattern literally', () => {
    const text = `web1.example.com ssh-ed25519 ${ED}\n`;
    expect(keysForHost(text, 'web1xexample.com', 22)).toEqual([]);
  });

  it('returns nothing for empty text', () => {
    expect(keysForHost('', 'web1', 22)).toEqual([]);
  });
});

describe('linesForHost', () => {
  it('lists every line naming the host, whatever its type or marker, except @revoked', () => {
    const text = [
      `web1 ssh-ed25519-cert-v01@openssh.com ${ED}`,
      `@cert-authority *.example.com ssh-rsa ${RSA}`,
      `@revoked web1 ssh-rsa ${RSA}`,
      `WEB1 ecdsa-sha2-nistp256 ${ECDSA}`,
      `web2 ssh-ed25519 ${ED}`,
    ].join('\n');
    expect(linesForHost(text, 'web1', 22).map((entry) => entry.line)).toEqual([1, 4]);
    expect(linesForHost(text, 'web1.example.com', 22).map((entry) => entry.line)).toEqual([2]);
    expect(keysForHost(text, 'web1', 22)).toEqual([{ type: 'ecdsa-sha2-nistp256', key: ECDSA }]);
  });
});

describe('with OpenSSH tools', () => {
  let dir: string;
  let publicKey: { type: string; key: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-known-hosts-'));
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-f',
      join(dir, 'host_key'),
      '-N',
      '',
      '-C',
      'test@baton',
    ]);
    const [type, key] = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/);
    publicKey = { type: type ?? '', key: key ?? '' };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('computes the SHA256 fingerprint ssh-keygen -lf prints', () => {
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')], {
      encoding: 'utf8',
    });
    // "256 SHA256:... test@baton (ED25519)"
    const expected = printed.trim().split(/\s+/)[1];
    expect(expected).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprint(publicKey.key)).toBe(expected);
  });

  it('matches names hashed by ssh-keygen -H', () => {
    const file = join(dir, 'known_hosts');
    writeFileSync(
      file,
      `web1.example.com ${publicKey.type} ${publicKey.key}\n[web1.example.com]:2222 ${publicKey.type} ${publicKey.key}\n`,
    );
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8');
    expect(hashed).not.toContain('web1.example.com');
    expect(hashed).toMatch(/^\|1\|/m);
    expect(keysForHost(hashed, 'web1.example.com', 22)).toEqual([publicKey]);
    expect(keysForHost(hashed, 'web1.example.com', 2222)).toEqual([publicKey]);
    expect(keysForHost(hashed, 'web1.example.com', 2200)).toEqual([]);
    expect(keysForHost(hashed, 'web2.example.com', 22)).toEqual([]);
  });
});

describe('fingerprint', () => {
  it('is unpadded base64 of the SHA-256 of the key blob', () => {
    // sha256("") = e3b0c442..., base64 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
    expect(fingerprint('')).toBe('SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU');
    expect(fingerprint(ED)).not.toBe(fingerprint(RSA));
  });
});

describe('hostKeyAlgorithms', () => {
  it('offers the RSA SHA-2 signatures before ssh-rsa for RSA keys', () => {
    expect(hostKeyAlgorithms([{ type: 'ssh-rsa', key: RSA }])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });

  it('passes other key types through, without duplicates', () => {
    expect(
      hostKeyAlgorithms([
        { type: 'ssh-ed25519', key: ED },
        { type: 'ssh-rsa', key: RSA },
        { type: 'ssh-ed25519', key: 'other' },
        { type: 'ecdsa-sha2-nistp256', key: ECDSA },
        { type: 'ssh-rsa', key: 'other' },
      ]),
    ).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp256']);
  });

  it('is empty without keys (ssh2 defaults)', () => {
    expect(hostKeyAlgorithms([])).toEqual([]);
  });
});
