import { rmSync } from 'node:fs';
import { startTestHost } from './host';
import { HOSTS, hostVariables } from './host-pool';

/** Brings up the loopback target hosts (dockerd, sshd, registry, nginx each); fails loudly if it cannot. */
export default function setup(): void {
  rmSync('/tmp/baton-e2e-claims', { recursive: true, force: true });
  for (let k = 1; k <= HOSTS; k++) startTestHost(hostVariables(k));
}
