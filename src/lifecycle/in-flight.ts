import * as core from '@actions/core';

/** What a deploy has started on the hosts but not yet finished; kept in the step's state for post. */
export interface InFlight {
  app: string;
  appDir: string;
  release: string;
  container: string;
  /** Saved right before the first proxy swap: traffic may have moved to the container. */
  handingOver?: boolean;
}

const KEY = 'baton-in-flight';

export function markInFlight(value: InFlight | undefined): void {
  core.saveState(KEY, value ? JSON.stringify(value) : '');
}

/** What the main step left unfinished, if anything (the post step has nothing to do otherwise). */
export function leftInFlight(): InFlight | undefined {
  const state = core.getState(KEY);
  return state ? (JSON.parse(state) as InFlight) : undefined;
}
