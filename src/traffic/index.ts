import { allAtOnce } from './all-at-once';
import { canary } from './canary';
import type { TrafficStrategy } from './types';

export type { Launch, Rolled, Rollout, TrafficStrategy } from './types';

/** The traffic strategies; a new one is a file beside all-at-once.ts and a line here. */
const STRATEGIES = {
  'all-at-once': allAtOnce,
  canary,
} satisfies Record<string, TrafficStrategy>;

export type StrategyName = keyof typeof STRATEGIES;

export function trafficStrategy(name: StrategyName = 'all-at-once'): TrafficStrategy {
  return STRATEGIES[name];
}
