import { describe, expect, it } from 'vitest';
import { drainMessages, servedMessage } from '../../../src/lifecycle/retire';

describe('drainMessages', () => {
  it('says how long each drain took, and what was still open at the bound', () => {
    const lines = drainMessages(
      {
        releases: [
          { release: 'r1', ms: 1234, closed: 0 },
          { release: 'r0', ms: 61_050, closed: 2 },
        ],
      },
      60,
    );
    expect(lines).toEqual([
      '✓ drained r1 in 1.23s: every request in flight finished',
      '✓ drained r0 in 61.05s: 2 connection(s) still open after 60s (retire-after) were closed',
    ]);
  });
});

describe('servedMessage', () => {
  it('reads like a deploy log line', () => {
    const traffic = {
      release: 'r2',
      requests: 1204,
      errors: 0,
      p50Ms: 3.2,
      p99Ms: 41,
      firstAt: 1_000,
      lastAt: 20_000,
    };
    expect(servedMessage(traffic, 31_000)).toBe(
      'r2 served 1,204 request(s) in 30.0s since the switch: 0 error(s) (5xx), p50 3 ms, p99 41 ms',
    );
    expect(servedMessage({ ...traffic, p50Ms: undefined, p99Ms: undefined }, 31_000)).toContain(
      'p50 ?, p99 ?',
    );
  });
});
