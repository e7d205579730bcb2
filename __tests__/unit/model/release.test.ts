import { describe, expect, it } from 'vitest';
import { parseHistory } from '../../../src/host/state';
import {
  type History,
  oldRecords,
  type Outcome,
  type ReleaseRecord,
  retained,
  rollbackTarget,
} from '../../../src/model/release';

/** A release id like 20261123-101500-abc1234; a higher n is a later release. */
function releaseId(n: number): string {
  const hh = String(Math.floor(n / 60) % 24).padStart(2, '0');
  const mm = String(n % 60).padStart(2, '0');
  const day = String(10 + Math.floor(n / 1440)).padStart(2, '0');
  return `202611${day}-${hh}${mm}00-${(0xabc0000 + n).toString(16).slice(-7)}`;
}

function record(id: string, outcome: Outcome): ReleaseRecord {
  return {
    id,
    app: 'web',
    image: `ghcr.io/acme/web:${id}`,
    commit: '0123456789abcdef0123456789abcdef01234567',
    ref: 'refs/heads/main',
    actor: 'octocat',
    runUrl: 'https://github.com/acme/web/actions/runs/4242',
    container: `web-${id}`,
    startedAt: '2026-11-23T10:15:00Z',
    ...(outcome === 'running' ? {} : { finishedAt: '2026-11-23T10:16:00Z' }),
    outcome,
  };
}

/**
 * A history from outcomes listed oldest first (as they happened); the records come out newest first, as
 * readHistory sorts them. `current` is the index (into `outcomes`) of the current release.
 */
function history(outcomes: Outcome[], current?: number): History & { ids: string[] } {
  const ids = outcomes.map((_, index) => releaseId(index));
  const releases = outcomes.map((outcome, index) => record(ids[index] as string, outcome)).reverse();
  return { current: current === undefined ? undefined : ids[current], releases, ids };
}

describe('releaseId (test helper)', () => {
  it('makes ids in the release format that sort in time order', () => {
    const ids = Array.from({ length: 3000 }, (_, n) => releaseId(n));
    for (const id of ids) expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{7}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('rollbackTarget', () => {
  it('is the previous successful release before the current one', () => {
    const h = history(['done', 'done', 'done'], 2);
    expect(rollbackTarget(h)?.id).toBe(h.ids[1]);
  });

  it('skips failed, cancelled and rolled back releases', () => {
    const h = history(['done', 'rolled back', 'cancelled', 'error', 'done'], 4);
    expect(rollbackTarget(h)?.id).toBe(h.ids[0]);
  });

  it('skips releases newer than the current one', () => {
    // A failed deploy after the current release, then the current one is rolled back to.
    const h = history(['done', 'done', 'error'], 1);
    expect(rollbackTarget(h)?.id).toBe(h.ids[0]);
  });

  it('returns the whole record', () => {
    const h = history(['done', 'done'], 1);
    expect(rollbackTarget(h)).toEqual(record(h.ids[0] as string, 'done'));
  });

  it('is the named release when asked for one', () => {
    const h = history(['done', 'done', 'done', 'done'], 3);
    expect(rollbackTarget(h, h.ids[0])?.id).toBe(h.ids[0]);
    expect(rollbackTarget(h, h.ids[2])?.id).toBe(h.ids[2]);
  });

  it('is undefined for a named release not in the history', () => {
    const h = history(['done', 'done'], 1);
    expect(rollbackTarget(h, '20991231-235959-fffffff')).toBeUndefined();
    expect(rollbackTarget(h, releaseId(2))).toBeUndefined();
  });

  it('is undefined when the current release is the only successful one', () => {
    expect(rollbackTarget(history(['done'], 0))).toBeUndefined();
    expect(rollbackTarget(history(['error', 'cancelled', 'done', 'error'], 2))).toBeUndefined();
  });

  it('is undefined for an empty history', () => {
    expect(rollbackTarget({ releases: [] })).toBeUndefined();
    expect(rollbackTarget({ releases: [] }, releaseId(0))).toBeUndefined();
  });

  it('goes further back on the next rollback after a rollback to an older release', () => {
    // Three good releases, the newest current.
    const before = history(['done', 'done', 'done'], 2);
    const first = rollbackTarget(before);
    expect(first?.id).toBe(before.ids[1]);
    // What rollback() then records: the replaced release is rolled back, the target is current.
    const after: History = {
      current: first?.id,
      releases: before.releases.map((release) =>
        release.id === before.current ? { ...release, outcome: 'rolled back' } : release,
      ),
    };
    expect(rollbackTarget(after)?.id).toBe(before.ids[0]);
    // And once at the oldest, there is nothing further back.
    const oldest: History = {
      current: before.ids[0],
      releases: after.releases.map((release) =>
        release.id === after.current ? { ...release, outcome: 'rolled back' } : release,
      ),
    };
    expect(rollbackTarget(oldest)).toBeUndefined();
  });

  it('goes back past a rolled back release after a new deploy', () => {
    // A, B; B rolled back to A; then C deployed: a rollback from C goes to A, not to the rolled back B.
    const h = history(['done', 'rolled back', 'done'], 2);
    expect(rollbackTarget(h)?.id).toBe(h.ids[0]);
  });
});

describe('retained', () => {
  it('always keeps the current release', () => {
    const h = history(['done', 'done', 'done'], 2);
    expect(retained(h, 1).has(h.ids[2] as string)).toBe(true);
    // Even when the current release is an old one, or its record is gone.
    const old = history(['done', 'done', 'done', 'done'], 0);
    expect(retained(old, 1).has(old.ids[0] as string)).toBe(true);
    const unrecorded: History = { current: releaseId(99), releases: history(['done', 'done']).releases };
    expect(retained(unrecorded, 1).has(releaseId(99))).toBe(true);
  });

  it('keeps only the current release when keep is 1', () => {
    const h = history(['done', 'done', 'done'], 2);
    expect(retained(h, 1)).toEqual(new Set([h.ids[2]]));
  });

  it('keeps the last `keep` successful releases, the current one among them', () => {
    const h = history(['done', 'done', 'done', 'done', 'done', 'done'], 5);
    expect(retained(h, 3)).toEqual(new Set([h.ids[5], h.ids[4], h.ids[3]]));
    expect(retained(h, 6)).toEqual(new Set(h.ids));
    expect(retained(h, 100)).toEqual(new Set(h.ids));
  });

  it('does not count failed, cancelled or rolled back releases, nor keep them', () => {
    const h = history(['done', 'done', 'error', 'rolled back', 'cancelled', 'done', 'error', 'cancelled'], 5);
    expect(retained(h, 3)).toEqual(new Set([h.ids[5], h.ids[1], h.ids[0]]));
    expect(retained(h, 2)).toEqual(new Set([h.ids[5], h.ids[1]]));
  });

  it('keeps the successful releases before the current one after a rollback', () => {
    // A, B, C; C rolled back to B.
    const h = history(['done', 'done', 'rolled back'], 1);
    expect(retained(h, 1)).toEqual(new Set([h.ids[1]]));
    expect(retained(h, 2)).toEqual(new Set([h.ids[1], h.ids[0]]));
  });

  it('keeps nothing for an empty history, and the last successful ones without a current release', () => {
    expect(retained({ releases: [] }, 5)).toEqual(new Set());
    const h = history(['done', 'done', 'error']);
    expect(retained(h, 1)).toEqual(new Set([h.ids[1]]));
  });
});

describe('oldRecords', () => {
  it('is nothing up to 50 records', () => {
    expect(oldRecords({ releases: [] })).toEqual([]);
    expect(oldRecords(history(Array(50).fill('done'), 49))).toEqual([]);
  });

  it('is the records beyond the newest 50, oldest last', () => {
    const h = history(Array(53).fill('done'), 52);
    expect(oldRecords(h).map((release) => release.id)).toEqual([h.ids[2], h.ids[1], h.ids[0]]);
  });

  it('counts every outcome', () => {
    const outcomes: Outcome[] = ['done', 'error', 'cancelled', 'rolled back'];
    const h = history(
      Array.from({ length: 52 }, (_, index) => outcomes[index % 4] as Outcome),
      48,
    );
    expect(oldRecords(h).map((release) => release.id)).toEqual([h.ids[1], h.ids[0]]);
  });

  // Regression: the current release's record was deleted once 50 newer records existed.
  it("never deletes the current release's record", () => {
    const h = history(['done', 'done', ...Array<Outcome>(50).fill('error')], 1);
    expect(oldRecords(h).map((release) => release.id)).not.toContain(h.ids[1]);
  });

  // Regression: records of releases kept for rollbacks (keep-releases above 50) were deleted.
  it('never deletes the records of releases retained() keeps', () => {
    const h = history(Array<Outcome>(60).fill('done'), 59);
    const kept = retained(h, 60);
    expect(kept.size).toBe(60);
    expect(oldRecords(h, kept).filter((release) => kept.has(release.id))).toEqual([]);
  });
});

describe('parseHistory (what the history script prints)', () => {
  it('reads the current release, then one record per line, newest first; skips broken lines', () => {
    const a = record(releaseId(1), 'done');
    const b = record(releaseId(2), 'error');
    const text = `${b.id}\n${JSON.stringify(a)}\n{broken\n${JSON.stringify(b)}\n`;
    expect(parseHistory(text)).toEqual({ current: b.id, releases: [b, a] });
    expect(parseHistory('\n')).toEqual({ current: undefined, releases: [] });
    expect(parseHistory('')).toEqual({ current: undefined, releases: [] });
  });
});
