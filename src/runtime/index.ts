import type { Shell } from '../host/ssh';
import { DockerCli } from './docker-cli';
import type { ContainerRuntime } from './types';

export type { ContainerRuntime, PullLogin } from './types';

/** The container runtime drivers; a new driver is a folder beside docker-cli/ and a line here. */
const DRIVERS = {
  'docker-cli': (shell: Shell) => new DockerCli(shell),
} satisfies Record<string, (shell: Shell) => ContainerRuntime>;

export type RuntimeName = keyof typeof DRIVERS;

export function createRuntime(name: RuntimeName, shell: Shell): ContainerRuntime {
  return DRIVERS[name](shell);
}
