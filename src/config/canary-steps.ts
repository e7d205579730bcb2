// The canary's steps: the shares of traffic the new release gets, in order, as the user writes them.

import { ConfigError, type Source } from '../errors';

/** Flagger/Argo-style steps that end with all traffic on the new release. */
export const DEFAULT_STEPS = [10, 25, 50, 100];

/**
 * "10,25,50,100" → [10, 25, 50, 100]: percentages in 5% steps (the proxy's buckets), rising, ending at
 * 100 (added when missing). A bad list names its source.
 */
export function parseSteps(text: string, source?: Source): number[] {
  const parts = text
    .split(/[\s,]+/)
    .map((part) => part.replace(/%$/, ''))
    .filter(Boolean);
  if (!parts.length) throw new ConfigError('give the canary steps as percentages, e.g. 10,25,50,100', source);
  const steps = parts.map((part) => {
    const value = Number(part);
    if (!/^\d+$/.test(part) || value < 5 || value > 100 || value % 5 !== 0)
      throw new ConfigError(
        `"${part}" is not a canary step: a percentage from 5 to 100 in steps of 5`,
        source,
      );
    return value;
  });
  steps.forEach((value, i) => {
    const before = steps[i - 1];
    if (before !== undefined && value <= before)
      throw new ConfigError(`canary steps must rise: ${value} comes after ${before}`, source);
  });
  return steps.at(-1) === 100 ? steps : [...steps, 100];
}
