import { describe, expect, it } from 'vitest';
import { describeTraffic } from '../../../src/commands/plan';
import { planDeploy } from '../../../src/plan/deploy';
import { CONTEXT } from '../support';
import { testConfig } from '../support/fakes';

const NOW = new Date('2026-12-06T10:00:00Z');

describe('describeTraffic (the plan command)', () => {
  it('prints the canary rollout: steps, durations, thresholds and the longest it can take', () => {
    const plan = planDeploy(
      testConfig({ 'skip-canary': 'false', 'canary-max-cpu': '150', 'canary-max-memory': '256m' }),
      CONTEXT,
      NOW,
    );
    const lines = describeTraffic(plan).join('\n');
    expect(lines).toContain('canary steps 10% → 25% → 50% → 100%');
    expect(lines).toContain('each step below 100% lasts 60s (up to 120s');
    expect(lines).toContain('checks every 10s; 2 failing check(s) in a row');
    expect(lines).toContain("5xx ≤ 1% and ≤ the old release's + 0.5 points; p99 ≤ 500 ms and ≤ 1.2×");
    expect(lines).toContain('CPU ≤ 150%, memory ≤ 256.0 MiB');
    expect(lines).toContain('cooldown: watch 300s at 100%');
    // 3 watched steps × 60 s × 2 + 300 s of cooldown.
    expect(lines).toContain('longest: 660s after the checks');
  });

  it('says why traffic moves at once', () => {
    expect(describeTraffic(planDeploy(testConfig(), CONTEXT, NOW))).toEqual([
      '- move all traffic at once after the checks (skip-canary is true)',
    ]);
    const reload = testConfig({ 'skip-canary': 'false', 'nginx-handover': 'reload' });
    expect(describeTraffic(planDeploy(reload, CONTEXT, NOW))[0]).toContain(
      'nginx-handover reload keeps no per-release figures',
    );
  });
});
