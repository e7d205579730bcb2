// What the proxy is told: which host name goes to which containers. Drivers turn it into their config.

/** A container port on the host's loopback that takes a share of the route's traffic. */
export interface Upstream {
  port: number;
  /** Relative share of the requests; 1 when all go to one upstream. */
  weight: number;
  /** The release it belongs to, when not the route's (e.g. the old release of a split). */
  release?: string;
}

/** One app's route: its host name and where its requests go. */
export interface Route {
  app: string;
  /** The release the route serves, written into the config so that a later run can read it back. */
  release: string;
  domain: string;
  /** Address the proxy listens on for this route, e.g. 80 or 127.0.0.1:8080. */
  listen: string;
  upstreams: Upstream[];
}
