import type { CheckResult } from '../checks/model';
import type { Server } from '../fleet';
import type { Started } from '../lifecycle/containers';
import type { Timed } from '../log';
import type { DeployPlan } from '../plan/deploy';
import type { CanaryReport } from './canary/report';

/** How a release's container comes up and, if it never takes traffic, goes away. */
export interface Launch {
  /** Verb for the log: started, restarted. */
  verb: string;
  start(server: Server): Promise<Started>;
  discard(server: Server): Promise<void>;
  /**
   * Called once, right before traffic first moves; throws to stop the release before it does. A
   * `reversible` hand-over (a canary) still sends traffic back when the run is cancelled later.
   */
  handingOver(options?: { reversible: boolean }): void;
  /** Aborted when the run is cancelled (SIGINT/SIGTERM from the runner). */
  signal: AbortSignal;
}

/** One release going out: what it is, where, and how its containers come and go. */
export interface Rollout {
  plan: DeployPlan;
  /** The image as deployed (with its digest when known), for records. */
  image: string;
  servers: Server[];
  timed: Timed;
  launch: Launch;
  /** Tells GitHub where the release is (the deployment status's description); never throws. */
  progress(description: string): Promise<void>;
  /** This run's GitHub deployment, for a host that reports to it itself; undefined when there is none. */
  deployment?(): DeploymentRef | undefined;
}

/** Where a deployment's statuses are posted, and what each status repeats. */
export interface DeploymentRef {
  statusesUrl: string;
  environment: string;
  logUrl: string;
}

/** What a rollout did: the check results of the first server, and the canary's steps when it ran. */
export interface Rolled {
  checks: CheckResult[];
  canary?: CanaryReport;
}

/**
 * How traffic moves to a new release: when containers start, when checks run, in which steps the proxy
 * shifts requests. Until traffic has moved everywhere, a failure must leave the previous release serving.
 */
export interface TrafficStrategy {
  roll(rollout: Rollout): Promise<Rolled>;
}
