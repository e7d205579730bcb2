// What a deploy checks before traffic moves, whatever file it came from (CHECKS, app.json, inputs).

/** Which statuses pass: Dokku's (2xx/3xx), Kamal's healthcheck (2xx), or plain readiness (< 500). */
export type StatusRule = 'dokku' | '2xx' | 'ready';

interface Common {
  name: string;
  /** Where the check was declared, e.g. "CHECKS:4" or "app.json healthchecks.web[1]". */
  origin: string;
  attempts: number;
  /** Seconds: per request (path), per run (command). */
  timeout: number;
  /** Seconds between attempts; legacy CHECKS also sleeps this long before the first attempt. */
  wait: number;
  initialDelay: number;
  /** Seconds the check may take in all, when it is set directly (readiness, healthcheck-path). */
  budget?: number;
}

export interface PathCheck extends Common {
  kind: 'path';
  path: string;
  scheme: 'http' | 'https';
  port?: number;
  content?: string;
  headers: { name: string; value: string }[];
  status: StatusRule;
}

export interface CommandCheck extends Common {
  kind: 'command';
  command: string[];
}

export interface UptimeCheck extends Common {
  kind: 'uptime';
  uptime: number;
}

export interface ListeningCheck extends Common {
  kind: 'listening';
  port?: number;
}

export type HealthCheck = PathCheck | CommandCheck | UptimeCheck | ListeningCheck;

export type CheckType = 'startup' | 'liveness' | 'readiness';

export interface CheckSuite {
  /** Where the checks came from, for the log and summary. */
  source: 'CHECKS' | 'app.json' | 'healthcheck-path' | 'default' | 'skipped';
  file?: string;
  /** CHECKS files run one check after the other, as Dokku's bash did; app.json checks run together. */
  sequential: boolean;
  /** Checks that gate the hand-over. */
  startup: HealthCheck[];
  /** Declared liveness/readiness checks: reported, not run at deploy (as Dokku's docker-local scheduler). */
  other: { type: CheckType; check: HealthCheck }[];
}

export function describeCheck(check: HealthCheck): string {
  switch (check.kind) {
    case 'path': {
      const host = check.headers.find((header) => header.name.toLowerCase() === 'host')?.value ?? 'localhost';
      const url = `${check.scheme}://${host}${check.path}`;
      return check.content === undefined ? url : `${url} => "${check.content}"`;
    }
    case 'command':
      return `command ${JSON.stringify(check.command)}`;
    case 'uptime':
      return `container up for ${check.uptime}s`;
    case 'listening':
      return `listening on port ${check.port ?? 'app-port'}`;
  }
}

/** `fast` polls within Dokku's budget; `dokku` reproduces Dokku's timing (sleep WAIT before attempts). */
export type Timing = 'fast' | 'dokku';

export interface CheckResult {
  check: HealthCheck;
  ok: boolean;
  attempt: number;
  got: string;
  elapsedMs: number;
}
