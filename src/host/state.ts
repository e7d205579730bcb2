import type { History, ReleaseRecord } from '../model/release';
import * as commands from './commands';
import type { Shell } from './ssh';

/**
 * The files Baton keeps for an app on a host, under STATE_DIR/APP (the app dir): the release records
 * (releases/ID.json), the current release (current), each release's env file (ID.env), the deploy lock.
 */
export function releasesDir(appDir: string): string {
  return `${appDir}/releases`;
}

export function currentFile(appDir: string): string {
  return `${appDir}/current`;
}

/** How the app's last cooldown watch on the host ended ("passed at …", "rolled back at …: why"). */
export function cooldownResultFile(appDir: string): string {
  return `${appDir}/cooldown.result`;
}

/** The Authorization header a cooldown watch sets the GitHub deployment's status with (mode 600). */
export function cooldownHeaderFile(appDir: string): string {
  return `${appDir}/cooldown.github-header`;
}

/** The files of the app's cooldown watch on the host, for stopping it. */
export function cooldownFiles(appDir: string): { result: string; githubHeader: string } {
  return { result: cooldownResultFile(appDir), githubHeader: cooldownHeaderFile(appDir) };
}

export function recordFile(appDir: string, id: string): string {
  return `${releasesDir(appDir)}/${id}.json`;
}

export function envFile(appDir: string, release: string): string {
  return `${appDir}/${release}.env`;
}

export async function writeRecord(host: Shell, appDir: string, record: ReleaseRecord): Promise<void> {
  const path = recordFile(appDir, record.id);
  await host.writeFile(path, `${JSON.stringify(record, null, 2)}\n`, '600', { mkdir: true });
}

export async function setCurrent(host: Shell, appDir: string, id: string): Promise<void> {
  await host.writeFile(currentFile(appDir), `${id}\n`, '600');
}

/** Reads the app's history on a host; an app never deployed there has none. */
export async function readHistory(host: Shell, appDir: string): Promise<History> {
  const result = await host.run(commands.readHistory(appDir));
  return parseHistory(result.stdout);
}

export function parseHistory(text: string): History {
  const [current = '', ...lines] = text.split('\n');
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

/** Removes files of the app dir (env files, records); missing ones are fine. */
export async function removeFiles(host: Shell, paths: string[]): Promise<void> {
  if (paths.length) await host.run(['rm', '-f', ...paths], { allowFailure: true });
}

/** Removes the app dir. The lock file goes with it; a lock held stays valid (flock holds the inode). */
export async function removeAppDir(host: Shell, appDir: string): Promise<void> {
  await host.run(['rm', '-rf', appDir]);
}
