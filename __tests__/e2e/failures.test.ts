import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';
import { liveRelease } from './support/nginx';

const host = readTestHost();
const app = 'bad';
const SECRET = 'bad-secret-8e1d77c0';
const runs: ActionRun[] = [];
const siteFile = `${host.NGINX_CONF_DIR}/baton-${app}.conf`;

async function deploy(extra: Record<string, string> = {}, files: Record<string, string> = {}) {
  const inputs = {
    ...hostInputs(host, app),
    secrets: `DB_PASSWORD=${SECRET}`,
    ...extra,
  };
  const run = await runAction(inputs, { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: 'b'.repeat(40) }, files);
  runs.push(run);
  return run;
}

function otherHostKey(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-key-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  const publicKey = readFileSync(join(dir, 'key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  rmSync(dir, { recursive: true });
  return `[127.0.0.1]:${host.SSH_PORT} ${publicKey}\n`;
}

describe('failures are clear and change nothing', () => {
  beforeAll(async () => {
    await removeApp(host, app);
  });
  afterAll(async () => {
    await removeApp(host, app);
  });

  it('refuses a host whose key does not match known-hosts, before building anything', async () => {
    const run = await deploy({ 'known-hosts': otherHostKey(), 'trust-first-use': 'true' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Connect failed: .*host key verification failed for \[127\.0\.0\.1\]:\d+: it offered ssh-ed25519 SHA256:\S+, which does not match known-hosts/,
    );
    expect(run.stdout).not.toContain('::group::Build');
  });

  it('refuses an unknown host unless trust-first-use is set, and then logs the line to pin', async () => {
    const refused = await deploy({ 'known-hosts': '' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/is not in known-hosts\. Add this line to the known-hosts input/);
    const trusted = await deploy({ 'known-hosts': '', 'trust-first-use': 'true' });
    expect(trusted.code, trusted.stdout).toBe(0);
    const pinned = readFileSync(host.KNOWN_HOSTS_FILE, 'utf8').trim().split(' ').slice(1).join(' ');
    expect(trusted.stdout).toContain(`::warning::trusting [127.0.0.1]:${host.SSH_PORT} on first use`);
    expect(trusted.stdout).toContain(pinned);
  });

  it('names the registry when the password is wrong, in the runner and on the host', async () => {
    const inRunner = await deploy({ 'registry-password': 'wrong-password-1' });
    expect(inRunner.code).toBe(1);
    expect(inRunner.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Build failed: docker login to 127\.0\.0\.1:\d+ as baton failed: .*401 Unauthorized/,
    );
    const onHost = await deploy({
      'registry-password': 'wrong-password-2',
      build: 'false',
      image: `${host.REGISTRY}/${app}:${'b'.repeat(40)}`,
    });
    expect(onHost.code).toBe(1);
    expect(onHost.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Pull failed: root@127\.0\.0\.1:\d+: `docker --config .* login .*` exited with 1: .*401 Unauthorized/,
    );
    for (const run of [inRunner, onHost]) expect(run.visible).not.toMatch(/wrong-password-\d/);
  });

  it('names the input or the file and line of a malformed setting, before touching a host', async () => {
    const badPort = await deploy({ 'app-port': 'eighty' });
    expect(badPort.code).toBe(1);
    expect(badPort.stdout).toContain('::error::input "app-port": expected a whole number, got "eighty"');
    expect(badPort.stdout).not.toContain('::group::');
    const yaml = 'retire-after: 5\nready-path: /up\nreplicas: 3\n';
    const unknownKey = await deploy({ 'retire-after': '' }, { 'baton.yml': yaml });
    expect(unknownKey.stdout).toContain('::error::baton.yml:3 (replicas): unknown setting "replicas"');
    const badChecks = await deploy({ checks: 'CHECKS' }, { CHECKS: 'WAIT=2\n\n/health  ok\nRETRIES=3\n' });
    expect(badChecks.stdout).toContain(
      '::error::CHECKS:4: unknown setting "RETRIES"; expected WAIT=, TIMEOUT= or ATTEMPTS=',
    );
    const badJson = await deploy(
      { checks: 'app.json' },
      { 'app.json': '{"healthchecks": {"web": [{"type": "startup", "attempts": "3"}]}}' },
    );
    expect(badJson.stdout).toContain(
      '::error::app.json: healthchecks.web[0].attempts: expected a whole number, got "3"',
    );
    for (const run of [badChecks, badJson]) expect(run.stdout).not.toContain('::group::');
    const badHosts = await deploy({ hosts: 'root@127.0.0.1:2222, not a host' });
    expect(badHosts.stdout).toContain('::error::input "hosts": "not a host" is not a host');
    // The post step (post-if: always()) has nothing to settle: it does not say the error again.
    for (const run of [badPort, unknownKey, badChecks, badJson, badHosts]) {
      expect(run.post?.code).toBe(0);
      expect(run.post?.stdout).not.toMatch(/::(warning|error)::/);
    }
  });

  it('keeps the old release serving when nginx rejects the new configuration', async () => {
    const before = readFileSync(siteFile, 'utf8');
    const live = liveRelease(host, app);
    const load = startLoad({ port: Number(host.NGINX_PORT), host: `${app}.test`, maxMs: 60_000 });
    // A new domain rewrites the site file (a deploy of the same domain moves links only): nginx -t fails.
    const run = await deploy({
      domain: `other-${app}.test`,
      'nginx-test-command': 'sh -c "echo emerg: broken >&2; exit 1"',
    });
    const report = await load.stop();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::Hand-over failed: .*nginx rejected the new configuration .*previous file restored/,
    );
    expect(run.stdout).toContain('emerg: broken');
    expect(readFileSync(siteFile, 'utf8')).toBe(before);
    expect(liveRelease(host, app)).toBe(live);
    expect(report.failed, report.failures.join('\n')).toBe(0);
    expect(report.ok).toBeGreaterThan(0);
    const running = (await appContainers(host, app)).filter((container) => container.state === 'running');
    expect(running).toHaveLength(1);
  });

  it('fails fast when the new container crashes, and shows its output', async () => {
    const run = await deploy({ env: 'HEALTH=crash', 'ready-timeout': '60' });
    expect(run.code).toBe(1);
    // Fast means the crash is the verdict, not the 60 s ready-timeout running out.
    expect(run.stdout).toMatch(
      /::error title=Baton%3A [\w-]+ failed::(Start|Checks) failed: .*the container (crashed and restarted|is (exited|restarting))/,
    );
    expect(run.stdout).not.toContain('ran out');
    expect(run.stdout).toMatch(/::group::Output of bad-\S+ \(last 100 lines\)/);
  });

  it('never shows a secret, the SSH key or the registry password in any output', () => {
    expect(runs.length).toBeGreaterThanOrEqual(8);
    const key = readFileSync(host.SSH_KEY_FILE, 'utf8').split('\n')[1] as string;
    for (const run of runs) {
      expect(run.visible).not.toContain(SECRET);
      expect(run.visible).not.toContain(host.REGISTRY_PASSWORD);
      expect(run.visible).not.toContain(key);
    }
  });
});
