import { rmSync } from 'node:fs';
import { startTestHost } from './host';
import { GIVEN_ENV, HOSTS, hostVariables } from './host-pool';

/**
 * Brings up the loopback target hosts (dockerd, sshd, registry, nginx each); fails loudly if it cannot.
 * With BATON_TEST_ENV given (host-pool.ts), that host is up already: nothing is started.
 */
export default function setup(): void {
  rmSync('/tmp/baton-e2e-claims', { recursive: true, force: true });
  if (GIVEN_ENV) return;
  for (let k = 1; k <= HOSTS; k++) startTestHost(hostVariables(k));
}
