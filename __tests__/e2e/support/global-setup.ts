import { startTestHost } from './host';

/** Brings up the loopback target host (dockerd, sshd, registry, nginx); fails loudly if it cannot. */
export default function setup(): void {
  startTestHost();
}
