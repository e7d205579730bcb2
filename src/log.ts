import * as core from '@actions/core';
import { errorMessage, PhaseError } from './errors';

export function seconds(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(2)}s`;
}

/** Runs one phase of the deploy in its own log group; a failure inside becomes a PhaseError naming it. */
export async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  return core.group(name, async () => {
    try {
      const result = await work();
      core.info(`${name} done in ${seconds(started)}`);
      return result;
    } catch (error) {
      if (error instanceof PhaseError) throw error;
      throw new PhaseError(name, errorMessage(error), undefined, { cause: error });
    }
  });
}

/** One line of the deploy log for one step, with how long it took. */
export async function step<T>(label: string, work: () => Promise<T>, host?: string): Promise<T> {
  const started = Date.now();
  try {
    const result = await work();
    core.info(`✓ ${label}${host ? ` on ${host}` : ''} (${seconds(started)})`);
    return result;
  } catch (error) {
    core.info(`✗ ${label}${host ? ` on ${host}` : ''} (${seconds(started)})`);
    throw error;
  }
}

export interface PhaseTiming {
  name: string;
  seconds: number;
}

/** Runs a named phase (see phase) and records how long it took. */
export type Timed = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/** The phases of one command, each timed, in the order they ran: for the log, the summary and GitHub. */
export function phaseTimer(): { phases: PhaseTiming[]; timed: Timed } {
  const phases: PhaseTiming[] = [];
  const timed: Timed = async (name, work) => {
    const started = Date.now();
    const result = await phase(name, work);
    phases.push({ name, seconds: (Date.now() - started) / 1000 });
    return result;
  };
  return { phases, timed };
}
