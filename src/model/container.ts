// Containers as Baton sees them, whatever engine runs them.

/** A container to start for a release. */
export interface ContainerSpec {
  name: string;
  image: string;
  appPort: number;
  labels: Record<string, string>;
  env: Record<string, string>;
  envFile?: string;
  /** Memory / CPU limits; '' for none. */
  memory: string;
  cpus: string;
}

/** A container the engine has, with the labels Baton gave it. */
export interface ContainerInfo {
  name: string;
  /** baton.app */
  app: string;
  /** baton.preview-of: the app it previews; '' for an app's own container. */
  previewOf: string;
  /** baton.release */
  release: string;
  /** The image id (not the reference): what to remove with it. */
  image: string;
  running: boolean;
}

/** Which containers to list: by app, by the app they preview, running only or all. */
export interface ContainerFilter {
  app?: string;
  previewOf?: string;
  /** Only containers Baton started (any app). */
  baton?: boolean;
  running?: boolean;
}

/** A container's state: `status` as the engine names it (running, exited, …). */
export interface ContainerState {
  status: string;
  restarts: number;
  exitCode: number;
}

/** What a running container uses now, as the engine's stats say. */
export interface ContainerUsage {
  name: string;
  /** Percent of one core (200 = two cores busy). */
  cpuPercent: number;
  memoryBytes: number;
}

/** A listening TCP socket inside a container; `any` when bound to every address. */
export interface Listener {
  port: number;
  any: boolean;
}

/** Login for a registry, given to the engine for one pull. */
export interface Credentials {
  server: string;
  username: string;
  password: string;
}
