// The canary settings (canary-*, skip-canary): how traffic moves in steps and what a step must show.

import { ConfigError, type Source } from '../errors';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../model/thresholds';
import { parseSteps } from './canary-steps';
import type { SettingsReader } from './reader';
import type { CanarySettings } from './types';
import { memoryBytes } from './resources';

export function readCanary(read: SettingsReader): CanarySettings {
  const skip = read.str('skip-canary').toLowerCase();
  if (!['auto', 'true', 'false'].includes(skip))
    throw new ConfigError(
      `"${skip}" is not a skip-canary value; expected auto, true or false`,
      read.source('skip-canary'),
    );
  const stepSeconds = read.int('canary-step-seconds', 1, 3600);
  const checkSeconds = read.int('canary-check-seconds', 1, 3600);
  if (checkSeconds > stepSeconds)
    throw new ConfigError(
      `checks every ${checkSeconds}s cannot fit in a step of ${stepSeconds}s (canary-step-seconds): at most ${stepSeconds}`,
      read.source('canary-check-seconds'),
    );
  return {
    skip: skip as CanarySettings['skip'],
    skipSource: read.source('skip-canary'),
    // A YAML list or a comma-separated string.
    steps: parseSteps(read.list('canary-steps').join(','), read.source('canary-steps')),
    stepSeconds,
    checkSeconds,
    failureLimit: read.int('canary-failure-limit', 1, 100),
    onQuiet: onQuiet(read.str('canary-on-quiet'), read.source('canary-on-quiet')),
    thresholds: readThresholds(read),
    cooldownSeconds: read.int('canary-cooldown', 0, 86_400),
    cooldownWatch: cooldownWatch(read.str('canary-cooldown-watch'), read.source('canary-cooldown-watch')),
    cooldownToken: read.str('canary-cooldown-token'),
  };
}

function readThresholds(read: SettingsReader): Thresholds {
  const memory = read.str('canary-max-memory');
  const cpu = read.str('canary-max-cpu');
  return {
    ...DEFAULT_THRESHOLDS,
    minRequests: read.int('canary-min-requests', 1, 1_000_000),
    maxErrorRate: read.num('canary-max-error-rate', 0, 100) / 100,
    maxErrorRateRise: read.num('canary-max-error-rise', 0, 100) / 100,
    maxP99Ms: read.num('canary-max-p99', 1, 3_600_000),
    maxP99Ratio: read.num('canary-max-p99-ratio', 1, 1000),
    ...(cpu ? { maxCpuPercent: read.num('canary-max-cpu', 1, 100_000) } : {}),
    ...(memory ? { maxMemoryBytes: maxMemory(memory, read.source('canary-max-memory')) } : {}),
  };
}

/** canary-max-memory in bytes; 0 would fail every step (any container uses some). */
function maxMemory(text: string, source: Source): number {
  const bytes = memoryBytes(text, source);
  if (bytes < 1) throw new ConfigError(`"${text}" is no memory at all; expected e.g. 512m or 1g`, source);
  return bytes;
}

function onQuiet(text: string, source: Source): CanarySettings['onQuiet'] {
  if (text === 'promote' || text === 'fail') return text;
  throw new ConfigError(`"${text}" is not a canary-on-quiet value; expected promote or fail`, source);
}

function cooldownWatch(text: string, source: Source): CanarySettings['cooldownWatch'] {
  if (text === 'runner' || text === 'host') return text;
  throw new ConfigError(`"${text}" is not a canary-cooldown-watch value; expected runner or host`, source);
}
