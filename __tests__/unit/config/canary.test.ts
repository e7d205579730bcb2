import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { configError, fakeSources, MINIMAL } from '../support';

const load = (inputs: Record<string, string>, files: Record<string, string> = {}) =>
  loadConfig(fakeSources({ ...MINIMAL, ...inputs }, files));

const badInput = (inputs: Record<string, string>, files: Record<string, string> = {}) =>
  configError(() => load(inputs, files)).message;

describe('canary settings', () => {
  it('reads every setting, percentages as shares and sizes in bytes', () => {
    const { canary } = load({
      'skip-canary': 'FALSE',
      'canary-steps': '5%, 20%, 60%',
      'canary-step-seconds': '120',
      'canary-check-seconds': '15',
      'canary-failure-limit': '3',
      'canary-min-requests': '50',
      'canary-on-quiet': 'fail',
      'canary-max-error-rate': '2.5',
      'canary-max-error-rise': '0',
      'canary-max-p99': '250',
      'canary-max-p99-ratio': '1.5',
      'canary-max-cpu': '150',
      'canary-max-memory': '512m',
      'canary-cooldown': '0',
      'canary-cooldown-watch': 'host',
    });
    expect(canary).toEqual({
      skip: 'false',
      skipSource: { kind: 'input', name: 'skip-canary' },
      steps: [5, 20, 60, 100],
      stepSeconds: 120,
      checkSeconds: 15,
      failureLimit: 3,
      onQuiet: 'fail',
      thresholds: {
        minRequests: 50,
        maxErrorRate: 0.025,
        maxErrorRateRise: 0,
        maxP99Ms: 250,
        maxP99Ratio: 1.5,
        p99SlackMs: 20,
        maxCpuPercent: 150,
        maxMemoryBytes: 512 * 2 ** 20,
      },
      cooldownSeconds: 0,
      cooldownWatch: 'host',
      cooldownToken: '',
    });
  });

  it('reads baton.yml, YAML numbers and booleans included, and names its line when one is bad', () => {
    const file = [
      'skip-canary: false',
      'canary-steps: 50',
      'canary-step-seconds: 30',
      'canary-max-error-rate: 0.5',
      'canary-max-memory: 1g',
    ].join('\n');
    const { canary } = load({}, { 'baton.yml': file });
    expect(canary).toMatchObject({
      skip: 'false',
      skipSource: { kind: 'file', file: 'baton.yml', line: 1, key: 'skip-canary' },
      steps: [50, 100],
      stepSeconds: 30,
      thresholds: { maxErrorRate: 0.005, maxMemoryBytes: 2 ** 30 },
    });
    expect(badInput({}, { 'baton.yml': 'app-port: 80\ncanary-failure-limit: 0\n' })).toBe(
      'baton.yml:2 (canary-failure-limit): expected 1..100, got 0',
    );
  });

  it('takes the steps as a YAML list in baton.yml too', () => {
    expect(load({}, { 'baton.yml': 'canary-steps: [10, 50]\n' }).canary.steps).toEqual([10, 50, 100]);
    expect(load({}, { 'baton.yml': 'canary-steps:\n  - 20\n  - 100\n' }).canary.steps).toEqual([20, 100]);
  });

  it.each([
    [
      'skip-canary',
      'sometimes',
      'input "skip-canary": "sometimes" is not a skip-canary value; expected auto, true or false',
    ],
    [
      'canary-steps',
      '10,33',
      'input "canary-steps": "33" is not a canary step: a percentage from 5 to 100 in steps of 5',
    ],
    ['canary-steps', '50,20', 'input "canary-steps": canary steps must rise: 20 comes after 50'],
    ['canary-step-seconds', '0', 'input "canary-step-seconds": expected 1..3600, got 0'],
    ['canary-step-seconds', '1m', 'input "canary-step-seconds": expected a whole number, got "1m"'],
    ['canary-check-seconds', '0', 'input "canary-check-seconds": expected 1..3600, got 0'],
    ['canary-failure-limit', '0', 'input "canary-failure-limit": expected 1..100, got 0'],
    ['canary-min-requests', '0', 'input "canary-min-requests": expected 1..1000000, got 0'],
    [
      'canary-on-quiet',
      'wait',
      'input "canary-on-quiet": "wait" is not a canary-on-quiet value; expected promote or fail',
    ],
    ['canary-max-error-rate', '101', 'input "canary-max-error-rate": expected 0..100, got 101'],
    ['canary-max-error-rate', '1%', 'input "canary-max-error-rate": expected a number, got "1%"'],
    ['canary-max-error-rise', '-1', 'input "canary-max-error-rise": expected a number, got "-1"'],
    ['canary-max-p99', '0', 'input "canary-max-p99": expected 1..3600000, got 0'],
    ['canary-max-p99', '500ms', 'input "canary-max-p99": expected a number, got "500ms"'],
    ['canary-max-p99-ratio', '0.9', 'input "canary-max-p99-ratio": expected 1..1000, got 0.9'],
    ['canary-max-cpu', '0', 'input "canary-max-cpu": expected 1..100000, got 0'],
    ['canary-max-cpu', 'lots', 'input "canary-max-cpu": expected a number, got "lots"'],
    [
      'canary-max-memory',
      'lots',
      'input "canary-max-memory": "lots" is not a memory size; expected e.g. 512m or 1g',
    ],
    [
      'canary-max-memory',
      '0m',
      'input "canary-max-memory": "0m" is no memory at all; expected e.g. 512m or 1g',
    ],
    ['canary-cooldown', '-5', 'input "canary-cooldown": expected a whole number, got "-5"'],
    ['canary-cooldown', '86401', 'input "canary-cooldown": expected 0..86400, got 86401'],
    [
      'canary-cooldown-watch',
      'cron',
      'input "canary-cooldown-watch": "cron" is not a canary-cooldown-watch value; expected runner or host',
    ],
  ])('a bad %s (%s) names its input', (name, value, message) => {
    expect(badInput({ [name]: value })).toBe(message);
  });

  it('refuses checks further apart than a step, naming canary-check-seconds', () => {
    expect(badInput({ 'canary-step-seconds': '20', 'canary-check-seconds': '30' })).toBe(
      'input "canary-check-seconds": checks every 30s cannot fit in a step of 20s (canary-step-seconds): at most 20',
    );
    expect(badInput({ 'canary-check-seconds': '61' })).toMatch(
      /^input "canary-check-seconds": .*at most 60$/,
    );
    expect(load({ 'canary-step-seconds': '20', 'canary-check-seconds': '20' }).canary.checkSeconds).toBe(20);
  });

  it('warns when production skips the canary, naming where skip-canary came from', () => {
    expect(load({ 'skip-canary': 'true' }).warnings).toContain(
      'input "skip-canary": skip-canary is true for production: traffic moves at once after the checks, without canary steps judged by live traffic',
    );
    expect(load({ 'skip-canary': 'true', environment: 'staging' }).warnings).toEqual([]);
    expect(load({}).warnings).toEqual([]);
  });
});
