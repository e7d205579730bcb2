import type { Shell } from '../host/ssh';
import type { Proxy } from '../proxy';
import type { ContainerRuntime } from '../runtime';

/** One connected target host, with the drivers that speak to its container engine and its proxy. */
export interface Server {
  readonly label: string;
  /** The SSH connection: files Baton keeps, the lock, HTTP probes. */
  readonly shell: Shell;
  readonly runtime: ContainerRuntime;
  readonly proxy: Proxy;
}
