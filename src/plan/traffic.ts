import type { Config } from '../config';
import type { CanarySettings } from '../config/types';

/** The canary as a deploy runs it: the canary-* settings. */
export type CanaryPlan = Omit<CanarySettings, 'skip' | 'skipSource'>;

/** How traffic moves to the new release once its checks pass; why, when not in canary steps. */
export type TrafficPlan =
  { strategy: 'all-at-once'; why: string } | { strategy: 'canary'; canary: CanaryPlan };

/** Canary steps unless skip-canary says otherwise (previews skip them unless it says false). Pure. */
export function planTraffic(config: Pick<Config, 'canary' | 'preview' | 'proxy'>): TrafficPlan {
  // The rest of the settings is the plan: what is left without skip and its source.
  const { skip, skipSource, ...canary } = config.canary;
  if (skip === 'true') return { strategy: 'all-at-once', why: 'skip-canary is true' };
  if (skip === 'auto' && config.preview)
    return { strategy: 'all-at-once', why: 'previews skip the canary (skip-canary: auto)' };
  if (config.proxy.handover === 'reload')
    return {
      strategy: 'all-at-once',
      why: 'nginx-handover reload keeps no per-release figures for a canary to judge (use sockets)',
    };
  return { strategy: 'canary', canary };
}

/**
 * The longest a canary can take after the checks: each step below 100% lasts its time, and twice that
 * when it waits for requests or a failing check clears; then the cooldown.
 */
export function longestSeconds(canary: CanaryPlan): number {
  const watched = canary.steps.filter((percent) => percent < 100).length;
  return watched * canary.stepSeconds * 2 + canary.cooldownSeconds;
}
