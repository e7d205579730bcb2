import { describe, expect, it } from 'vitest';
import type { ReleaseTraffic } from '../../../src/proxy/types';
import { DEFAULT_THRESHOLDS, describeFigures, judgeStep } from '../../../src/traffic/canary/analysis';
import { DEFAULT_STEPS, parseSteps } from '../../../src/config/canary-steps';
import { loadConfig } from '../../../src/config';
import { fakeSources, MINIMAL } from '../support';
import {
  type CanaryReport,
  CanaryRolledBack,
  combine,
  type HostFigures,
  renderCanaryTable,
  sparkline,
  type StepReport,
  unjudged,
} from '../../../src/traffic/canary/report';

const traffic = (over: Partial<ReleaseTraffic> = {}): ReleaseTraffic => ({
  release: 'new',
  requests: 1000,
  errors: 0,
  p50Ms: 3,
  p99Ms: 40,
  firstAt: 0,
  lastAt: 60_000,
  ...over,
});
const old = traffic({ release: 'old', p99Ms: 100 });

describe('judgeStep', () => {
  it('passes a healthy release, with the figures for the log', () => {
    expect(judgeStep(traffic({ errors: 1 }), old)).toEqual({
      kind: 'pass',
      figures: '1000 requests, errors: 0.1%, p99: 40ms',
    });
  });

  it('holds without enough requests for a verdict: a quiet app is not promoted on no evidence', () => {
    const verdict = judgeStep(traffic({ requests: 5 }), old);
    expect(verdict.kind).toBe('hold');
    expect(verdict).toMatchObject({ reason: expect.stringContaining('fewer than the 20') });
    expect(judgeStep(undefined, old).kind).toBe('hold');
  });

  it('fails on a 5xx rate above 1% (Flagger: request-success-rate ≥ 99%)', () => {
    const verdict = judgeStep(traffic({ errors: 200 }), old);
    expect(verdict).toMatchObject({ kind: 'fail', reason: '5xx rate 20% is above 1%' });
  });

  it('fails on a rise of the 5xx rate over the old release in the same window', () => {
    const verdict = judgeStep(traffic({ errors: 8 }), traffic({ release: 'old', errors: 0 }));
    expect(verdict).toMatchObject({ kind: 'fail', reason: expect.stringContaining('0.8 points above') });
    expect(judgeStep(traffic({ errors: 8 }), traffic({ release: 'old', errors: 5 })).kind).toBe('pass');
  });

  it('fails on p99 above 500 ms, or above 1.2× the old release (beyond a 20 ms slack)', () => {
    expect(judgeStep(traffic({ p99Ms: 700 }), undefined)).toMatchObject({
      kind: 'fail',
      reason: 'p99 700ms is above 500ms',
    });
    expect(judgeStep(traffic({ p99Ms: 130 }), old)).toMatchObject({
      kind: 'fail',
      reason: "p99 130ms is above 1.2× the old release's 100ms (limit 120ms)",
    });
    expect(judgeStep(traffic({ p99Ms: 15 }), traffic({ release: 'old', p99Ms: 1 })).kind).toBe('pass');
  });

  it('ignores an old release with too few requests to compare with', () => {
    const quietOld = traffic({ release: 'old', requests: 3, p99Ms: 1 });
    expect(judgeStep(traffic({ p99Ms: 300, errors: 5 }), quietOld).kind).toBe('pass');
  });

  it('takes other thresholds', () => {
    const strict = { ...DEFAULT_THRESHOLDS, maxP99Ms: 30 };
    expect(judgeStep(traffic(), undefined, strict).kind).toBe('fail');
  });

  it('describes no traffic', () => {
    expect(describeFigures(undefined)).toBe('no requests');
  });
});

describe('parseSteps', () => {
  it('reads percentages in 5% steps and ends at 100', () => {
    expect(parseSteps('10,25,50,100')).toEqual(DEFAULT_STEPS);
    expect(parseSteps('5% 50%')).toEqual([5, 50, 100]);
  });

  it('refuses what the buckets cannot give, and falling steps, naming the source', () => {
    const source = { kind: 'input' as const, name: 'canary-steps' };
    expect(() => parseSteps('12,50', source)).toThrow('input "canary-steps": "12" is not a canary step');
    expect(() => parseSteps('50,25', source)).toThrow('canary steps must rise: 25 comes after 50');
    expect(() => parseSteps('', source)).toThrow('give the canary steps');
    expect(() => parseSteps('0,50')).toThrow('"0" is not a canary step');
  });

  it('takes a YAML list from baton.yml as well as a string', () => {
    const sources = fakeSources(MINIMAL, { 'baton.yml': 'canary-steps: [25, 50]\n' });
    expect(loadConfig(sources).canary.steps).toEqual([25, 50, 100]);
  });
});

describe('combine', () => {
  it('sums requests and 5xx of the hosts; p50/p99 are the highest host’s; the span covers them all', () => {
    const a = traffic({ requests: 100, errors: 1, p50Ms: 5, p99Ms: 40, firstAt: 10, lastAt: 50 });
    const b = traffic({ requests: 300, errors: 6, p50Ms: 3, p99Ms: 90, firstAt: 5, lastAt: 40 });
    expect(combine([a, undefined, b])).toEqual({
      release: 'new',
      requests: 400,
      errors: 7,
      p50Ms: 5,
      p99Ms: 90,
      firstAt: 5,
      lastAt: 50,
    });
  });

  it('skips unknown percentiles, and gives nothing for no host with figures', () => {
    const a = traffic({ p50Ms: undefined, p99Ms: undefined });
    expect(combine([a, traffic({ p99Ms: 7, p50Ms: undefined })])).toMatchObject({
      p50Ms: undefined,
      p99Ms: 7,
    });
    expect(combine([a])).toMatchObject({ p50Ms: undefined, p99Ms: undefined });
    expect(combine([undefined, undefined])).toBeUndefined();
    expect(combine([])).toBeUndefined();
  });
});

describe('sparkline', () => {
  it('scales the values to the highest', () => {
    expect(sparkline([0, 0.5, 1])).toBe('▁▅█');
    expect(sparkline([10, 20, 40, 80])).toBe('▂▃▅█');
  });

  it('is all ▁ when every value is 0, and empty for none', () => {
    expect(sparkline([0, 0, 0])).toBe('▁▁▁');
    expect(sparkline([])).toBe('');
  });
});

describe('renderCanaryTable', () => {
  const step = (over: Partial<StepReport>): StepReport => ({
    percent: 10,
    cooldown: false,
    seconds: 60,
    outcome: 'passed',
    fresh: traffic({ requests: 600, errors: 0, p99Ms: 42 }),
    old: traffic({ release: 'old', requests: 5400, errors: 27, p99Ms: 38.6 }),
    hosts: [{ host: 'deploy@a', usage: [] }],
    errorSeries: [0, 0],
    p99Series: [40, 42],
    ...over,
  });

  it('has a row per step: time, both releases, the trend per check and the verdict', () => {
    const report: CanaryReport = {
      release: 'new',
      old: 'old',
      steps: [
        step({}),
        step({
          percent: 25,
          outcome: 'quiet',
          fresh: undefined,
          errorSeries: [],
          p99Series: [],
          reason: 'few requests',
        }),
        step({
          percent: 100,
          cooldown: true,
          seconds: 20,
          outcome: 'failed',
          fresh: traffic({ requests: 200, errors: 10, p99Ms: undefined }),
          errorSeries: [0.01, 0.05],
          p99Series: [30, 0],
          reason: '5xx rate 5% is above 1%',
        }),
      ],
      rolledBack: 'cooldown: 5xx rate 5% is above 1%',
    };
    expect(renderCanaryTable(report).split('\n')).toEqual([
      '| Step | Time | New release | Old release | Resources (new) | 5xx / p99 per check | Verdict |',
      '|---|---|---|---|---|---|---|',
      '| 10% | 60s | 600 req, 0.00% 5xx, p99 42 ms | 5400 req, 0.50% 5xx, p99 39 ms |  | ▁▁ / ██ | ✅ passed |',
      '| 25% | 60s | no requests | 5400 req, 0.50% 5xx, p99 39 ms |  |  | ⚠️ too few requests, promoted: few requests |',
      '| cooldown (100%) | 20s | 200 req, 5.00% 5xx, p99 ? | 5400 req, 0.50% 5xx, p99 39 ms |  | ▂█ / █▁ | ❌ rolled back: 5xx rate 5% is above 1% |',
    ]);
  });

  it('adds a line per host under a step with several, and the new containers’ highest use', () => {
    const usage = (cpuPercent: number, memoryBytes: number) => [{ name: 'web-new', cpuPercent, memoryBytes }];
    const hosts: HostFigures[] = [
      { host: 'deploy@a', fresh: traffic({ requests: 100 }), usage: usage(12.34, 64 * 2 ** 20) },
      {
        host: 'deploy@b',
        old: traffic({ release: 'old', requests: 50, errors: 1, p99Ms: 70 }),
        usage: usage(3, 128 * 2 ** 20),
      },
    ];
    const report: CanaryReport = {
      release: 'new',
      old: 'old',
      steps: [step({ hosts, outcome: 'cancelled', seconds: 0 })],
    };
    const rows = renderCanaryTable(report).split('\n').slice(2);
    expect(rows).toEqual([
      '| 10% | 0s | 600 req, 0.00% 5xx, p99 42 ms | 5400 req, 0.50% 5xx, p99 39 ms | 12.3% CPU, 128.0 MiB | ▁▁ / ██ | ⏹️ cancelled, rolled back |',
      '| ↳ deploy@a | | 100 req, 0.00% 5xx, p99 40 ms | no requests | 12.3% CPU, 64.0 MiB | | |',
      '| ↳ deploy@b | | no requests | 50 req, 2.00% 5xx, p99 70 ms | 3.0% CPU, 128.0 MiB | | |',
    ]);
  });

  it('says what a step that ended before its first check shows', () => {
    const report: CanaryReport = { release: 'new', old: 'old', steps: [unjudged(25, false, 'cancelled')] };
    expect(renderCanaryTable(report).split('\n')[2]).toBe(
      '| 25% | 0s | no requests | no requests |  |  | ⏹️ cancelled, rolled back |',
    );
  });
});

describe('CanaryRolledBack', () => {
  it('names the release traffic went back to and why; thresholds unless told', () => {
    const report: CanaryReport = { release: 'new', old: 'old', steps: [] };
    const error = new CanaryRolledBack(report, 'step 1 (10%): 5xx rate 5% is above 1%');
    expect(error.message).toBe('rolled back to old: step 1 (10%): 5xx rate 5% is above 1%');
    expect(error.kind).toBe('thresholds');
    expect(error.name).toBe('CanaryRolledBack');
    const cause = new Error('boom');
    expect(new CanaryRolledBack(report, 'boom', 'error', { cause }).cause).toBe(cause);
  });
});
