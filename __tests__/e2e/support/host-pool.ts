import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// e2e files run in parallel, each on a loopback test host of its own: host 1 is scripts/test-host's
// default; host K > 1 gets its own root, ports and bridge. A test file claims a free host for as long as
// it runs (a lock directory naming the claiming process), so no two files ever share one.

// BATON_TEST_ENV set when vitest starts names a host that is up already (e.g. a copy of host 1's env file
// whose TEST_APP_CONTEXT is a worktree's test app): every file runs on it, one at a time, and the global
// setup starts no host. Kept under a name of its own: claim-host.ts sets BATON_TEST_ENV for each file, and
// a worker runs several files. Set here, in vitest's main process first; workers inherit it ('' = none).
process.env.BATON_E2E_GIVEN_ENV ??= process.env.BATON_TEST_ENV ?? '';
export const GIVEN_ENV = process.env.BATON_E2E_GIVEN_ENV || undefined;

export const HOSTS = GIVEN_ENV ? 1 : Math.max(1, Number(process.env.BATON_E2E_HOSTS ?? 2));
const CLAIMS = '/tmp/baton-e2e-claims';

/** The variables scripts/test-host takes for host `k` (1-based). */
export function hostVariables(k: number): Record<string, string> {
  if (k === 1) return {};
  return {
    BATON_TEST_ROOT: `/tmp/baton-test-host-${k}`,
    BATON_TEST_SSH_PORT: String(2222 + k - 1),
    BATON_TEST_REGISTRY_PORT: String(5555 + k - 1),
    BATON_TEST_NGINX_PORT: String(8088 + k - 1),
    BATON_TEST_BRIDGE: `batone${k}`,
    BATON_TEST_BRIDGE_CIDR: `172.31.${240 + k}.1/24`,
  };
}

export function envFile(k: number): string {
  if (GIVEN_ENV) return GIVEN_ENV;
  return `${hostVariables(k).BATON_TEST_ROOT ?? '/tmp/baton-test-host'}/env`;
}

/** Claims a free host for this process (waiting for one), and returns its number. */
export function claimHost(): number {
  mkdirSync(CLAIMS, { recursive: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    for (let k = 1; k <= HOSTS; k++) {
      const lock = join(CLAIMS, `host-${k}`);
      if (!takeLock(lock)) continue;
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return k;
    }
    Atomics.wait(pause, 0, 0, 200);
  }
}

export function releaseHost(k: number): void {
  rmSync(join(CLAIMS, `host-${k}`), { recursive: true, force: true });
}

/** Takes the lock directory, or steals it from a process that has died. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    if (alive(lock)) return false;
    rmSync(lock, { recursive: true, force: true });
    try {
      mkdirSync(lock);
      return true;
    } catch {
      return false;
    }
  }
}

function alive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return true; // being written: the claimer is alive
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
