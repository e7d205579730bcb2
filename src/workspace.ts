import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from './errors';

// baton.yml, check files and the build context come from commits a pull request can write: a path,
// or a symlink on the way, that leads out of the workspace is refused.

/** The real path of a file of the checkout, or undefined when it does not exist. */
export function inWorkspace(workspace: string, path: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(resolve(workspace, path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const inside = relative(realpathSync(workspace), real);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new ConfigError(`"${path}" leads outside the workspace; Baton uses only files of the checkout`);
  }
  return real;
}

/** Reads a file of the checkout, or undefined when it does not exist. */
export function readInWorkspace(workspace: string, path: string): string | undefined {
  const real = inWorkspace(workspace, path);
  return real === undefined ? undefined : readFileSync(real, 'utf8');
}
