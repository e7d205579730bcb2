import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { configError, fakeSources, MINIMAL, SSH_KEY } from '../support';

const load = (inputs: Record<string, string>) => loadConfig(fakeSources({ ...MINIMAL, ...inputs }));
const badInput = (inputs: Record<string, string>) => configError(() => load(inputs)).message;

const PASSPHRASE = 'correct horse battery';
let dir: string;

/** A fresh key pair from ssh-keygen: private key text and public key line. */
function keygen(name: string, args: string[]): { privateKey: string; publicLine: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-C', 'baton-test', '-f', file, ...args]);
  const publicLine = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return { privateKey: readFileSync(file, 'utf8'), publicLine };
}

const keys: Record<string, { privateKey: string; publicLine: string }> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-ssh-config-'));
  keys.ed25519 = keygen('ed25519', ['-t', 'ed25519', '-N', '']);
  keys.encrypted = keygen('encrypted', ['-t', 'ed25519', '-N', PASSPHRASE]);
  keys.rsaPem = keygen('rsa-pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', PASSPHRASE]);
  keys.ecdsa = keygen('ecdsa', ['-t', 'ecdsa', '-N', '']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ssh-key is checked when the configuration is read', () => {
  it('accepts an unencrypted private key, without warnings', () => {
    const config = load({ 'ssh-key': keys.ed25519?.privateKey ?? '' });
    expect(config.ssh.privateKey).toBe(keys.ed25519?.privateKey.trim());
    expect(config.warnings).toEqual([]);
  });

  it('refuses a public key, naming ssh-key', () => {
    expect(badInput({ 'ssh-key': keys.ed25519?.publicLine ?? '' })).toBe(
      'input "ssh-key": this is a ssh-ed25519 public key; give the private key (the file without .pub, e.g. ~/.ssh/id_ed25519)',
    );
  });

  it('refuses an encrypted key without ssh-key-passphrase', () => {
    for (const key of [keys.encrypted, keys.rsaPem]) {
      expect(badInput({ 'ssh-key': key?.privateKey ?? '' })).toBe(
        'input "ssh-key": the key is encrypted: give its passphrase in the ssh-key-passphrase input (from a secret)',
      );
    }
  });

  it('refuses a wrong passphrase, naming ssh-key-passphrase', () => {
    for (const key of [keys.encrypted, keys.rsaPem]) {
      const message = badInput({ 'ssh-key': key?.privateKey ?? '', 'ssh-key-passphrase': 'not it' });
      expect(message).toBe('input "ssh-key-passphrase": does not decrypt ssh-key: wrong passphrase?');
    }
  });

  it('accepts an encrypted key with its passphrase, and keeps the passphrase for connecting', () => {
    for (const key of [keys.encrypted, keys.rsaPem]) {
      const config = load({ 'ssh-key': key?.privateKey ?? '', 'ssh-key-passphrase': PASSPHRASE });
      expect(config.ssh.passphrase).toBe(PASSPHRASE);
      expect(config.warnings).toEqual([]);
    }
  });

  it('warns when a passphrase is given for a key that is not encrypted', () => {
    expect(load({ 'ssh-key-passphrase': PASSPHRASE }).warnings).toEqual([
      'input "ssh-key-passphrase": ssh-key is not encrypted; the passphrase is not used',
    ]);
  });

  it.each([
    ['junk', 'hello'],
    ['a key cut short', SSH_KEY.slice(0, 200)],
    [
      'an empty OpenSSH key',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
    ],
    ['a key with literal \\n', SSH_KEY.replace(/\n/g, '\\n')],
  ])('refuses %s, naming ssh-key and without echoing it', (_, key) => {
    const message = badInput({ 'ssh-key': key });
    expect(message).toMatch(
      /^input "ssh-key": not a private key Baton can read \(.+\): give the whole OpenSSH or PEM private key/,
    );
    expect(message).not.toContain(key.trim().split('\n')[1] ?? key);
  });

  it('never puts the passphrase in an error or warning', () => {
    const secret = 'p4ss-8c1e0d';
    const wrong = badInput({ 'ssh-key': keys.encrypted?.privateKey ?? '', 'ssh-key-passphrase': secret });
    expect(wrong).not.toContain(secret);
    expect(load({ 'ssh-key-passphrase': secret }).warnings.join('\n')).not.toContain(secret);
  });
});

describe('known-hosts is checked when the configuration is read', () => {
  const line = (name: string, key = 'ed25519') => `${name} ${keys[key]?.publicLine ?? ''}`;

  it('accepts ssh-keyscan output, comments, markers and hashed names, without warnings', () => {
    const text = [
      '# web1',
      line('web1.example.com,203.0.113.7'),
      line('[web1.example.com]:2222', 'ecdsa'),
      line('*.example.com,!bad.example.com'),
      line('|1|Bvi4tJNMMaGhPwXbAh8wZdLEWBY=|pvDQ1ZkIaYBDGUsKb+A+FH/e4Ow='),
      `@revoked ${line('*')}`,
      '',
    ].join('\n');
    const config = load({ 'known-hosts': text });
    expect(config.ssh.knownHosts).toBe(text.trim());
    expect(config.warnings).toEqual([]);
  });

  it.each([
    ['an incomplete line', 'web1 ssh-ed25519', 'expected "host[,host…] key-type base64-key"'],
    [
      'an unknown key type',
      'web1 ssh-ed2551 AAAA',
      '"ssh-ed2551" is not a host key type; expected one of ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa, ssh-dss',
    ],
    [
      'a key cut short',
      'web1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9ok',
      'the ssh-ed25519 key is not a valid ssh-ed25519 public key (cut short or changed when copied?)',
    ],
    [
      'a key of another type than the line says',
      'web1 ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
      'the ssh-rsa key is not a valid ssh-rsa public key (cut short or changed when copied?)',
    ],
    [
      'host:port without brackets',
      'web1:2222 ssh-ed25519 AAAA',
      'host name "web1:2222" never matches: write a port as [host]:port, e.g. [web1]:2222',
    ],
    [
      '[host] on port 22',
      '[web1]:22 ssh-ed25519 AAAA',
      'host name "[web1]:22" never matches: on port 22 write the host without brackets or port',
    ],
    [
      'a malformed hashed name',
      '|1|onlysalt ssh-ed25519 AAAA',
      'hashed host name "|1|onlysalt" is malformed; expected |1|salt|hash as ssh-keygen -H writes it',
    ],
    ['an empty name', 'web1,,web2 ssh-ed25519 AAAA', 'empty host name in the comma-separated list'],
    [
      'an unknown marker',
      '@revokd web1 ssh-ed25519 AAAA',
      'unknown marker @revokd; known_hosts has @revoked and @cert-authority',
    ],
  ])('refuses %s, naming the line', (_, bad, why) => {
    const text = `# pinned\n${line('web0')}\n${bad}\n`;
    expect(badInput({ 'known-hosts': text })).toBe(`input "known-hosts": line 3: ${why}`);
  });

  it('names every bad line at once', () => {
    const text = `web1 ssh-ed25519\n${line('web2')}\nweb3:2222 ${keys.ed25519?.publicLine}`;
    expect(badInput({ 'known-hosts': text })).toMatch(
      /^input "known-hosts": line 1: expected .*; line 3: host name "web3:2222" never matches/,
    );
  });

  it('warns about lines it cannot use (certificates, security-key types), naming them', () => {
    const text = [
      line('web0'),
      `@cert-authority *.example.com ${keys.ed25519?.publicLine}`,
      'web1 ssh-ed25519-cert-v01@openssh.com AAAA',
      'web2 sk-ssh-ed25519@openssh.com AAAA',
    ].join('\n');
    expect(load({ 'known-hosts': text }).warnings).toEqual([
      expect.stringMatching(
        /^input "known-hosts": line 2: Baton checks host keys, not host certificates: this @cert-authority line is ignored, and the hosts it names are never trusted on first use/,
      ),
      'input "known-hosts": line 3: Baton cannot check ssh-ed25519-cert-v01@openssh.com host keys: this line is ignored (its hosts are never trusted on first use)',
      'input "known-hosts": line 4: Baton cannot check sk-ssh-ed25519@openssh.com host keys: this line is ignored (its hosts are never trusted on first use)',
    ]);
  });
});
