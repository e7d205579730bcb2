import { describe, expect, it } from 'vitest';
import type { ReleaseTraffic } from '../../../src/proxy/types';
import { DEFAULT_THRESHOLDS, describeFigures, judgeStep } from '../../../src/traffic/canary/analysis';
import { DEFAULT_STEPS, parseSteps } from '../../../src/config/canary-steps';
import { loadConfig } from '../../../src/config';
import { fakeSources, MINIMAL } from '../support';

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
