import type { CheckResult } from '../checks/model';
import type { Server } from '../fleet';
import type { Started } from '../lifecycle/containers';
import type { Timed } from '../log';
import type { DeployPlan } from '../plan/deploy';

/** How a release's container comes up and, if it never takes traffic, goes away. */
export interface Launch {
  /** Verb for the log: started, restarted. */
  verb: string;
  start(server: Server): Promise<Started>;
  discard(server: Server): Promise<void>;
  /** Called once, right before traffic first moves; throws to stop the release before it does. */
  handingOver(): void;
}

/** One release going out: what it is, where, and how its containers come and go. */
export interface Rollout {
  plan: DeployPlan;
  servers: Server[];
  timed: Timed;
  launch: Launch;
}

/**
 * How traffic moves to a new release: when containers start, when checks run, in which steps the proxy
 * shifts requests. Until traffic has moved everywhere, a failure must leave the previous release serving.
 * Returns the check results of the first server.
 */
export interface TrafficStrategy {
  roll(rollout: Rollout): Promise<CheckResult[]>;
}
