import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';

const host = readTestHost();
const app = 'sshkey';
const PASSPHRASE = 'e2e-passphrase-5b7d2a';
const authorizedKeys = `${host.BATON_TEST_ROOT}/ssh/authorized_keys`;
const hostKeyLine = readFileSync(host.KNOWN_HOSTS_FILE, 'utf8').trim();
let dir: string;
let original: string;
let encryptedKey: string;

function deploy(extra: Record<string, string>): Promise<ActionRun> {
  const inputs = { ...hostInputs(host, app), ...extra };
  return runAction(inputs, { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: 'c'.repeat(40) });
}

describe('SSH keys and known-hosts', () => {
  beforeAll(async () => {
    await removeApp(host, app);
    dir = mkdtempSync(join(tmpdir(), 'baton-ssh-e2e-'));
    const file = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'baton-e2e', '-f', file]);
    encryptedKey = readFileSync(file, 'utf8');
    // Authorise the encrypted key on the test host, next to the usual one (restored afterwards).
    original = readFileSync(authorizedKeys, 'utf8');
    writeFileSync(authorizedKeys, `${original.trimEnd()}\n${readFileSync(`${file}.pub`, 'utf8')}`);
  });

  afterAll(async () => {
    writeFileSync(authorizedKeys, original);
    rmSync(dir, { recursive: true, force: true });
    await removeApp(host, app);
  });

  it('deploys with an encrypted key and its passphrase', async () => {
    const run = await deploy({ 'ssh-key': encryptedKey, 'ssh-key-passphrase': PASSPHRASE });
    expect(run.code, run.stdout).toBe(0);
    const running = (await appContainers(host, app)).filter((container) => container.state === 'running');
    expect(running).toHaveLength(1);
    expect(run.visible).not.toContain(PASSPHRASE);
  });

  it('refuses a wrong passphrase before connecting, naming ssh-key-passphrase', async () => {
    const run = await deploy({ 'ssh-key': encryptedKey, 'ssh-key-passphrase': 'wrong-passphrase-91c3' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::input "ssh-key-passphrase": does not decrypt ssh-key: wrong passphrase?',
    );
    expect(run.stdout).not.toContain('::group::');
    expect(run.visible).not.toContain('wrong-passphrase-91c3');
  });

  it('refuses an encrypted key without a passphrase, and a public key, naming ssh-key', async () => {
    const encrypted = await deploy({ 'ssh-key': encryptedKey });
    expect(encrypted.code).toBe(1);
    expect(encrypted.stdout).toContain('::error::input "ssh-key": the key is encrypted: give its passphrase');
    const publicKey = readFileSync(join(dir, 'id_ed25519.pub'), 'utf8');
    const run = await deploy({ 'ssh-key': publicKey });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('::error::input "ssh-key": this is a ssh-ed25519 public key');
  });

  it('refuses a junk known-hosts line before connecting, naming the line', async () => {
    const run = await deploy({
      'known-hosts': `${hostKeyLine}\n[127.0.0.1]:${host.SSH_PORT} ssh-ed25519 AAAA\n`,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::input "known-hosts": line 2: the ssh-ed25519 key is not a valid ssh-ed25519 public key',
    );
    expect(run.stdout).not.toContain('::group::');
  });

  it('never trusts on first use a host that known-hosts names, and warns about the line it cannot use', async () => {
    const [name, , key] = hostKeyLine.split(/\s+/);
    const certLine = `${name?.toUpperCase()} ssh-ed25519-cert-v01@openssh.com ${key}`;
    const run = await deploy({ 'known-hosts': certLine, 'trust-first-use': 'true' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::warning::input "known-hosts": line 1: Baton cannot check ssh-ed25519-cert-v01@openssh.com host keys',
    );
    expect(run.stdout).toMatch(/known-hosts names it \(line 1\) but lists no key Baton can compare/);
    expect(run.stdout).not.toContain('trusting');
  });
});
