/** Where a bad value came from: an action input, or a line of the config file. */
export type Source =
  { kind: 'input'; name: string } | { kind: 'file'; file: string; line: number; key: string };

export function describeSource(source: Source): string {
  return source.kind === 'input' ? `input "${source.name}"` : `${source.file}:${source.line} (${source.key})`;
}

/** Bad configuration: always names the input or file:line, and is raised before any host is touched. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly source?: Source,
  ) {
    super(source ? `${describeSource(source)}: ${message}` : message);
    this.name = 'ConfigError';
  }
}

/** A failure while executing the plan, tagged with the phase (and host) it happened in. */
export class PhaseError extends Error {
  constructor(
    readonly phase: string,
    readonly detail: string,
    readonly host?: string,
    options?: ErrorOptions,
  ) {
    super(`${phase} failed${host ? ` on ${host}` : ''}: ${detail}`, options);
    this.name = 'PhaseError';
  }
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
