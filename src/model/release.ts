// A release is one deploy of an app: its record on each host, and the rules that pick among them.

export type Outcome = 'running' | 'done' | 'error' | 'cancelled' | 'rolled back';

/** One deploy on one host, kept as STATE_DIR/APP/releases/ID.json (and in the container's labels). */
export interface ReleaseRecord {
  id: string;
  app: string;
  image: string;
  commit: string;
  ref: string;
  actor: string;
  runUrl: string;
  container: string;
  startedAt: string;
  finishedAt?: string;
  outcome: Outcome;
  error?: string;
  /** For a rollback: the release it brought back. */
  rollbackTo?: string;
}

export interface History {
  current?: string;
  /** Newest first. */
  releases: ReleaseRecord[];
}

const MAX_RECORDS = 50;

/**
 * Sortable and readable: UTC time to the second, then the short commit. Two deploys of one commit in
 * the same second would share it, so the later one (attempt 2, 3, …) gets `-2`, `-3`, ….
 */
export function releaseId(now: Date, sha: string, attempt = 1): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = sha ? `${stamp}-${sha.slice(0, 7)}` : stamp;
  return attempt > 1 ? `${id}-${attempt}` : id;
}

/** Records beyond the newest MAX_RECORDS, to delete; never one of the releases kept for rollbacks. */
export function oldRecords(history: History, keep: Set<string> = new Set()): ReleaseRecord[] {
  return history.releases
    .slice(MAX_RECORDS)
    .filter((record) => !keep.has(record.id) && record.id !== history.current);
}

/** The release a rollback goes back to: the named one, or the newest successful one before the current. */
export function rollbackTarget(history: History, requested?: string): ReleaseRecord | undefined {
  if (requested) return history.releases.find((release) => release.id === requested);
  const currentIndex = history.releases.findIndex((release) => release.id === history.current);
  return history.releases.slice(currentIndex + 1).find((release) => release.outcome === 'done');
}

/** Release ids whose containers (and images) stay for rollbacks: the current one and the last `keep` done. */
export function retained(history: History, keep: number): Set<string> {
  const done = history.releases.filter(
    (release) => release.outcome === 'done' || release.id === history.current,
  );
  const ids = new Set(done.slice(0, keep).map((release) => release.id));
  if (history.current) ids.add(history.current);
  return ids;
}

/** The release ids a rollback can go back to, newest first. */
export function keptIds(history: History, keep: number): string[] {
  const ids = retained(history, keep);
  return history.releases.filter((release) => ids.has(release.id)).map((release) => release.id);
}
