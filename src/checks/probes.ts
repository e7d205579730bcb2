import type { Shell } from '../host/ssh';
import type { ContainerRuntime } from '../runtime';
import { deadline, unlessAborted } from './deadline';
import type { CommandCheck, HealthCheck, ListeningCheck, PathCheck, StatusRule } from './model';

/** One attempt of one check. `transport` marks failures where nothing answered (Dokku retries only those). */
export type ProbeResult = { ok: true; got: string } | { ok: false; got: string; transport: boolean };

/** How to reach the new container from the host. */
export interface Target {
  host: Pick<Shell, 'label' | 'httpGet'>;
  runtime: ContainerRuntime;
  container: string;
  appPort: number;
  /** 127.0.0.1 port Docker published for app-port. */
  publishedPort: number;
  /** Container address on its Docker network, for checks on another port. */
  address(): Promise<string>;
  /** When the container was started (runner clock), for uptime checks. */
  startedAt: number;
}

/**
 * One attempt, abandoned when `timeoutMs` is up or `signal` (the check's deadline) aborts, whatever it
 * waits on: the HTTP request in flight is aborted, a remote command is no longer waited for.
 */
export async function probe(
  target: Target,
  check: HealthCheck,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  // A command check has the host's `timeout` (whole seconds) report first; this only bounds the wait.
  const ownMs = check.kind === 'command' ? commandSeconds(timeoutMs) * 1000 + COMMAND_GRACE_MS : timeoutMs;
  const limit = deadline(ownMs, `no answer within ${timeoutMs} ms`, signal);
  try {
    return await unlessAborted(attempt(target, check, timeoutMs, limit.signal), limit.signal, (why) => ({
      ok: false,
      got: why,
      transport: true,
    }));
  } finally {
    limit.clear();
  }
}

const COMMAND_GRACE_MS = 1000;

function attempt(target: Target, check: HealthCheck, timeoutMs: number, signal: AbortSignal) {
  switch (check.kind) {
    case 'path':
      return probePath(target, check, timeoutMs, signal);
    case 'command':
      return probeCommand(target, check, timeoutMs);
    case 'listening':
      return probeListening(target, check);
    case 'uptime':
      return containerUp(target);
  }
}

const MAX_REDIRECTS = 10;

async function probePath(
  target: Target,
  check: PathCheck,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const useLoopback = check.port === undefined || check.port === target.appPort;
  const address = useLoopback ? '127.0.0.1' : await target.address();
  const port = useLoopback ? target.publishedPort : (check.port as number);
  const headers = Object.fromEntries(check.headers.map(({ name, value }) => [name, value]));
  let path = check.path;
  for (let hop = 0; ; hop++) {
    const result = await target.host.httpGet(address, port, {
      path,
      timeoutMs,
      headers,
      tls: check.scheme === 'https',
      signal,
    });
    if (!result.ok) return { ok: false, got: result.error, transport: true };
    const next =
      result.status >= 300 && result.status < 400 ? sameSite(result.location, headers.Host) : undefined;
    if (next && hop < MAX_REDIRECTS) {
      path = next;
      continue;
    }
    return judge(check, result.status, result.body);
  }
}

/** Follows a redirect (as curl --location) only while it stays on the app: a path or the same host. */
function sameSite(location: string | undefined, host: string | undefined): string | undefined {
  if (!location) return undefined;
  if (location.startsWith('/') && !location.startsWith('//')) return location;
  try {
    const url = new URL(location);
    return url.host === (host ?? 'localhost') ? `${url.pathname}${url.search}` : undefined;
  } catch {
    return undefined;
  }
}

function judge(check: PathCheck, status: number, body: string): ProbeResult {
  const got = `HTTP ${status} ${JSON.stringify(body.slice(0, 80))}${body.length > 80 ? '…' : ''}`;
  if (!statusPasses(check.status, status))
    return { ok: false, got: `${got} (expected ${expectedStatus(check.status)})`, transport: false };
  if (check.content !== undefined && !body.includes(check.content)) {
    return { ok: false, got: `${got}: expected to but did not find "${check.content}"`, transport: false };
  }
  return { ok: true, got };
}

export function statusPasses(rule: StatusRule, status: number): boolean {
  if (rule === 'ready') return status > 0 && status < 500;
  if (rule === '2xx') return status >= 200 && status < 300;
  return status >= 200 && status < 400;
}

function expectedStatus(rule: StatusRule): string {
  return { ready: 'a status below 500', '2xx': '2xx', dokku: '2xx or 3xx' }[rule];
}

async function probeCommand(target: Target, check: CommandCheck, timeoutMs: number): Promise<ProbeResult> {
  const seconds = String(commandSeconds(timeoutMs));
  // The command's stderr joins its stdout on the host; the SSH session's own stderr (a login shell
  // that prints warnings from .bashrc, say) is no output of the check.
  const result = await target.runtime.exec(target.container, check.command, Number(seconds));
  const output = result.stdout.trim().slice(0, 200);
  if (result.code === 0) return { ok: true, got: `exit 0${output ? ` ${JSON.stringify(output)}` : ''}` };
  const why = result.code === 124 ? `timed out after ${seconds}s` : `exit ${result.code}`;
  return { ok: false, got: `${why}${output ? ` ${JSON.stringify(output)}` : ''}`, transport: false };
}

function commandSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

async function probeListening(target: Target, check: ListeningCheck): Promise<ProbeResult> {
  const port = check.port ?? target.appPort;
  const listeners = (await target.runtime.listeners(target.container)).filter((entry) => entry.port === port);
  if (listeners.some((entry) => entry.any)) return { ok: true, got: `listening on 0.0.0.0:${port}` };
  const got = listeners.length
    ? `listening on port ${port} only on a loopback or single address`
    : `nothing listens on port ${port}`;
  return { ok: false, got, transport: true };
}

/** The container is running and has not restarted: Dokku's uptime check, and our crash detection. */
export async function containerUp(target: Pick<Target, 'runtime' | 'container'>): Promise<ProbeResult> {
  const state = await target.runtime.state(target.container);
  if (!state) return { ok: false, got: 'the container is gone', transport: false };
  const { status, restarts, exitCode } = state;
  if (status !== 'running')
    return { ok: false, got: `the container is ${status} (exit code ${exitCode})`, transport: false };
  if (restarts > 0) {
    return {
      ok: false,
      got: `the container crashed and restarted ${restarts} time(s) (last exit code ${exitCode})`,
      transport: false,
    };
  }
  return { ok: true, got: 'the container is running' };
}
