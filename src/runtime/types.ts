import type { CommandResult } from '../errors';
import type {
  ContainerFilter,
  ContainerInfo,
  ContainerSpec,
  ContainerState,
  ContainerUsage,
  Credentials,
  Listener,
} from '../model/container';

/** Where a pull's registry login lives on the host, only while the pull runs. */
export interface PullLogin extends Credentials {
  configDir: string;
  /** Where older versions kept a login for good: removed. */
  legacyDir: string;
}

/**
 * What a host's container engine does for Baton. A driver (today the docker CLI over SSH) speaks its
 * engine and parses what it answers; nothing above this interface knows the engine's commands.
 */
export interface ContainerRuntime {
  pull(image: string, login?: PullLogin): Promise<void>;
  /** Starts a container detached, its app port published on a loopback port the engine picks. */
  run(spec: ContainerSpec): Promise<void>;
  /** Starts a stopped container again. */
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  /** The loopback port published for the app port; undefined when there is none. */
  publishedPort(name: string, appPort: number): Promise<number | undefined>;
  /** undefined when the container does not exist. */
  state(name: string): Promise<ContainerState | undefined>;
  /** The container's addresses on its networks. */
  addresses(name: string): Promise<string[]>;
  /** TCP sockets listening inside the container. */
  listeners(name: string): Promise<Listener[]>;
  /** Runs a command in the container; its output is both streams joined. Exit 124: timed out. */
  exec(name: string, command: string[], timeoutSeconds: number): Promise<CommandResult>;
  /** The container's last lines of output (both streams); '' when there are none. */
  logs(name: string, lines: number): Promise<string>;
  list(filter: ContainerFilter): Promise<ContainerInfo[]>;
  /** CPU and memory of running containers now; one that is not running is left out. */
  usage(names: string[]): Promise<ContainerUsage[]>;
  /** Removes containers (running or not) with their anonymous volumes. */
  remove(names: string[]): Promise<void>;
  /** Removes images by id; one still in use stays. */
  removeImages(ids: string[]): Promise<void>;
  /**
   * Stops containers after a delay, without waiting for it: they stay, stopped, for rollbacks. One that
   * became the app's current release again meanwhile (named in `currentFile`) keeps running.
   */
  retireLater(delaySeconds: number, currentFile: string, app: string, names: string[]): Promise<void>;
}
