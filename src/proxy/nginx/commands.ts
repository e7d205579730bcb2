// nginx command lines run on a target host, as argument arrays. Nothing here runs anything. The test
// and reload commands arrive as arguments already quoted by toShell, the one quoting function, and are
// run with eval.

import { toShell } from '../../host/shell';

/** Exit codes of SWAP and UNPUBLISH: what failed. */
export const NO_MOVE = 97;
export const REJECTED = 98;
export const NO_RELOAD = 99;

// One round trip at hand-over: move the staged file in, test, reload.
const SWAP = 'mv -f "$1" "$2" || exit 97; eval "$3" || exit 98; eval "$4" || exit 99';

/** Moves `staged` over `live`, tests, reloads (see the exit codes). */
export function swap(staged: string, live: string, test: string[], reload: string[]): string[] {
  return ['sh', '-c', SWAP, 'baton-handover', staged, live, toShell(test), toShell(reload)];
}

// Removes the site file, then tests and reloads nginx; if the test fails the file is put back.
const UNPUBLISH =
  '[ -e "$1" ] || exit 0; mv -f "$1" "$1.baton-removed" || exit 97; ' +
  'if eval "$2"; then rm -f "$1.baton-removed"; eval "$3" || exit 99; else mv -f "$1.baton-removed" "$1"; exit 98; fi';

export function unpublish(file: string, test: string[], reload: string[]): string[] {
  return ['sh', '-c', UNPUBLISH, 'baton-unpublish', file, toShell(test), toShell(reload)];
}

/** `grep -H server_name` over the conf dir's *.conf files but `own` (a file name). */
export function serverNameLines(confDir: string, own: string): string[] {
  return [
    'find',
    confDir,
    '-maxdepth',
    '1',
    '-name',
    '*.conf',
    '!',
    '-name',
    own,
    '-exec',
    'grep',
    '-Hs',
    'server_name',
    '{}',
    '+',
  ];
}
