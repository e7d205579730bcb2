import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandCheck } from '../../../src/checks/model';
import { probe, type Target } from '../../../src/checks/probes';
import { toShell } from '../../../src/host/shell';
import type { RemoteHost } from '../../../src/host/ssh';
import { DockerCli } from '../../../src/runtime/docker-cli';

// A host whose login shell writes to stderr before every command (e.g. pyenv in root's .bashrc), with a
// `docker` whose exec prints to both streams: the check shows what the command printed, not the shell's noise.
function noisyHost(): RemoteHost {
  const bin = mkdtempSync(join(tmpdir(), 'baton-fake-docker-'));
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "in v6 at version v6"\necho "a warning" >&2\n', {
    mode: 0o755,
  });
  return {
    label: 'noisy',
    run: async (argv: readonly string[]) => {
      const result = spawnSync('sh', ['-c', `echo "pyenv: cannot rehash" >&2; ${toShell(argv)}`], {
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      return { stdout: result.stdout, stderr: result.stderr, code: result.status ?? -1 };
    },
  } as unknown as RemoteHost;
}

describe('command checks', () => {
  it("show the command's output (both streams), never the login shell's", async () => {
    const host = noisyHost();
    const target: Target = {
      host,
      runtime: new DockerCli(host),
      container: 'web-1',
      appPort: 3000,
      publishedPort: 32768,
      address: async () => '172.17.0.2',
      startedAt: Date.now(),
    };
    const check: CommandCheck = {
      name: 'inside',
      origin: 'test',
      attempts: 1,
      timeout: 5,
      wait: 0,
      initialDelay: 0,
      kind: 'command',
      command: ['/bin/sh', '-c', 'true'],
    };
    const result = await probe(target, check, 5000);
    expect(result).toEqual({ ok: true, got: 'exit 0 "in v6 at version v6\\na warning"' });
  });
});
