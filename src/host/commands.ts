// The shell scripts Baton runs on a host for its own files, as argument arrays. Each script is a
// constant; every value arrives as an argument, quoted once by toShell when the command is sent.

/** The line holdLock prints once it holds the lock. */
export const LOCKED = 'baton-locked';
/** holdLock's exit code when another process holds the lock. */
export const LOCK_TAKEN = 75;
/** readFile's exit code when the file does not exist. */
export const NO_FILE = 3;

// Make the app dir, take the lock, name its owner, say so, then hold it until stdin closes.
const HOLD =
  'mkdir -p -m 700 "$1" && exec flock --exclusive --nonblock --conflict-exit-code 75 "$2" ' +
  `sh -c 'printf %s "$3" >"$2.owner" && echo ${LOCKED} && exec cat >/dev/null' baton-lock "$@"`;

export function holdLock(appDir: string, lockFile: string, owner: string): string[] {
  return ['sh', '-c', HOLD, 'baton-lock', appDir, lockFile, owner];
}

// Prints the current release id, then every record as one JSON line; one round trip.
const READ_HISTORY =
  'cd "$1" 2>/dev/null || exit 0; cat current 2>/dev/null || echo; for f in releases/*.json; do [ -e "$f" ] && tr -d "\\n" < "$f" && echo; done; true';

export function readHistory(appDir: string): string[] {
  return ['sh', '-c', READ_HISTORY, 'baton-history', appDir];
}

/** Writes stdin to `path` atomically (temp file, then rename) with `mode`; `mkdir` makes parents (700). */
export function writeFile(path: string, mode: string, mkdir: boolean): string[] {
  const parents = mkdir ? 'mkdir -p "$(dirname "$1")" && ' : '';
  const script = `umask 077; ${parents}cat > "$1.baton-tmp" && chmod "$2" "$1.baton-tmp" && mv -f "$1.baton-tmp" "$1"`;
  return ['sh', '-c', script, 'baton-write', path, mode];
}

export function readFile(path: string): string[] {
  return ['sh', '-c', `if [ -e "$1" ]; then cat "$1"; else exit ${NO_FILE}; fi`, 'baton-read', path];
}
