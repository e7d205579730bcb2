import { BatonError } from '../errors';
import { quote } from 'shell-quote';

/**
 * The one place where an argument array becomes a shell command line. SSH always hands a command to the
 * remote user's shell, so every argument is quoted here and nowhere else.
 */
export function toShell(argv: readonly string[]): string {
  if (argv.length === 0) throw new BatonError('empty command');
  return quote([...argv]);
}
