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
  /** HTTPS: the route is served on `tls.listen`, and plain HTTP on `listen` redirects to it. */
  tls?: RouteTls;
  /** A directory on the host served (over plain HTTP too) for ACME HTTP-01 challenges. */
  acmeWebroot?: string;
  upstreams: Upstream[];
}

/** Certificate chain and key (PEM paths on the host) and the address HTTPS listens on, e.g. 443. */
export interface RouteTls {
  certificate: string;
  key: string;
  listen: string;
}
