import type { CheckResult } from '../checks/model';
import type { PhaseTiming } from '../log';
import type { DeployPlan } from '../plan/deploy';
import type { CanaryReport } from '../traffic/canary/report';

/** What a deploy or a rollback did: for the job summary, the outputs and GitHub. */
export interface DeployResult {
  plan: DeployPlan;
  /** The commit now serving (for a rollback, the one rolled back to). */
  commit: string;
  /** The image as pushed, with its digest when known. */
  image: string;
  previousRelease?: string;
  phases: PhaseTiming[];
  /** Check results on the first host (every host ran the same checks). */
  checks: CheckResult[];
  /** Releases kept on the (first) host for rollbacks, newest first. */
  retained?: string[];
  /** The canary's steps with their figures, when traffic moved in steps. */
  canary?: CanaryReport;
}
