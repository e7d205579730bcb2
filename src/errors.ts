/**
 * Every error Baton raises is a BatonError: one family, so that main can tell Baton's own failures
 * (with messages written for the user) from a bug's. The kinds below say where a failure came from.
 */
export class BatonError extends Error {
  override name = 'BatonError';
}

/** Where a bad value came from: an action input, or a line of the config file. */
export type Source =
  { kind: 'input'; name: string } | { kind: 'file'; file: string; line: number; key: string };

export function describeSource(source: Source): string {
  return source.kind === 'input' ? `input "${source.name}"` : `${source.file}:${source.line} (${source.key})`;
}

/** Bad configuration: always names the input or file:line, and is raised before any host is touched. */
export class ConfigError extends BatonError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly source?: Source,
  ) {
    super(source ? `${describeSource(source)}: ${message}` : message);
  }
}

/** A failure while executing the plan, tagged with the phase (and host) it happened in. */
export class PhaseError extends BatonError {
  override name = 'PhaseError';
  constructor(
    readonly phase: string,
    readonly detail: string,
    readonly host?: string,
    options?: ErrorOptions,
  ) {
    super(`${phase} failed${host ? ` on ${host}` : ''}: ${detail}`, options);
  }
}

/** What a command run on a host printed and how it exited. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A command on a host exited non-zero: names the command and the last lines it printed. */
export class RemoteCommandError extends BatonError {
  override name = 'RemoteCommandError';
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    const output = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`\`${command}\` exited with ${result.code}${output ? `: ${output}` : ''}`);
  }
}

/** The job was cancelled before traffic moved: the new release is being removed. */
export class CancelledError extends BatonError {
  override name = 'CancelledError';
}

/** There is nothing to do for this event (said as a notice, the step succeeds). */
export class NothingToDo extends BatonError {
  override name = 'NothingToDo';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first error of a type in an error's chain of causes. */
export function findCause<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof type) return current;
  }
  return undefined;
}

/** The last lines a command printed (both streams), for an error message. */
export function lastLines(result: CommandResult, count = 5): string {
  return `${result.stderr}${result.stdout}`.trim().split('\n').slice(-count).join('\n');
}
