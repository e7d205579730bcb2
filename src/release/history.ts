import type { RemoteHost } from '../remote/ssh';

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

export function releasesDir(appDir: string): string {
  return `${appDir}/releases`;
}

export async function writeRecord(host: RemoteHost, appDir: string, record: ReleaseRecord): Promise<void> {
  const path = `${releasesDir(appDir)}/${record.id}.json`;
  await host.writeFile(path, `${JSON.stringify(record, null, 2)}\n`, '600', { mkdir: true });
}

export async function setCurrent(host: RemoteHost, appDir: string, id: string): Promise<void> {
  await host.writeFile(`${appDir}/current`, `${id}\n`, '600');
}

// Prints every record as one JSON line, then the current release id; one round trip.
const READ =
  'cd "$1" 2>/dev/null || exit 0; cat current 2>/dev/null || echo; for f in releases/*.json; do [ -e "$f" ] && tr -d "\\n" < "$f" && echo; done; true';

/** Reads the app's history on a host; an app never deployed there has none. */
export async function readHistory(host: RemoteHost, appDir: string): Promise<History> {
  const result = await host.run(['sh', '-c', READ, 'baton-history', appDir]);
  const [current = '', ...lines] = result.stdout.split('\n');
  const releases = lines
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as ReleaseRecord];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.id.localeCompare(a.id));
  return { current: current.trim() || undefined, releases };
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
