import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import type { EventInfo } from '../../../src/config/event';
import { planDeploy } from '../../../src/plan/deploy';
import { type CanaryPlan, longestSeconds, planTraffic } from '../../../src/plan/traffic';
import { CONTEXT, fakeSources, MINIMAL } from '../support';

const load = (inputs: Record<string, string> = {}, event?: EventInfo) =>
  loadConfig({
    ...fakeSources({ ...MINIMAL, 'preview-domain': 'pr-{number}.preview.example.com', ...inputs }),
    ...(event ? { event } : {}),
  });

const headSha = 'b'.repeat(40);
const PULL_REQUEST: EventInfo = {
  name: 'pull_request',
  action: 'opened',
  sha: headSha,
  pullRequest: { number: 42, headSha, headRef: 'feature/login', headRepo: 'acme/web', fork: false },
};

describe('planTraffic', () => {
  it('runs the canary by default (skip-canary: auto), with every canary-* setting and nothing of skip-canary', () => {
    const config = load();
    const plan = planTraffic(config);
    const { skip: _skip, skipSource: _source, ...canary } = config.canary;
    expect(plan).toEqual({ strategy: 'canary', canary });
    expect(plan).not.toHaveProperty('canary.skip');
    expect(planDeploy(config, CONTEXT, new Date()).traffic).toEqual(plan);
  });

  it('moves traffic at once with skip-canary: true', () => {
    expect(planTraffic(load({ 'skip-canary': 'true' }))).toEqual({
      strategy: 'all-at-once',
      why: 'skip-canary is true',
    });
  });

  it('skips the canary for a preview (skip-canary: auto), but not when skip-canary is false', () => {
    const preview = load({}, PULL_REQUEST);
    expect(preview.preview).toBeDefined();
    expect(planTraffic(preview)).toEqual({
      strategy: 'all-at-once',
      why: 'previews skip the canary (skip-canary: auto)',
    });
    expect(planTraffic(load({ 'skip-canary': 'false' }, PULL_REQUEST)).strategy).toBe('canary');
  });

  it('moves traffic at once with nginx-handover reload, which keeps no per-release figures', () => {
    for (const skip of ['auto', 'false'])
      expect(planTraffic(load({ 'nginx-handover': 'reload', 'skip-canary': skip }))).toEqual({
        strategy: 'all-at-once',
        why: 'nginx-handover reload keeps no per-release figures for a canary to judge (use sockets)',
      });
  });
});

describe('longestSeconds', () => {
  const canaryOf = (inputs: Record<string, string>): CanaryPlan => {
    const plan = planTraffic(load(inputs));
    if (plan.strategy !== 'canary') throw new Error('expected a canary plan');
    return plan.canary;
  };

  it('is twice the step time of each step below 100%, then the cooldown', () => {
    // 10, 25, 50: 3 × 2 × 60 s, then 300 s.
    expect(longestSeconds(canaryOf({}))).toBe(3 * 2 * 60 + 300);
    expect(
      longestSeconds(canaryOf({ 'canary-steps': '50', 'canary-step-seconds': '30', 'canary-cooldown': '0' })),
    ).toBe(60);
    expect(longestSeconds(canaryOf({ 'canary-steps': '100', 'canary-cooldown': '120' }))).toBe(120);
  });
});
