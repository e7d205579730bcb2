import * as core from '@actions/core';
import { errorMessage, PhaseError } from './errors';
import { redact } from './secrets';

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
      throw new PhaseError(name, redact(errorMessage(error)), undefined, { cause: error });
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
