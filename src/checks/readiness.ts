import * as core from '@actions/core';
import * as docker from '../commands/docker';
import type { RemoteHost } from '../remote/ssh';

export interface Readiness {
  path: string;
  timeoutMs: number;
  intervalMs: number;
}

export class NotReadyError extends Error {
  constructor(
    message: string,
    readonly container: string,
    readonly containerLog: string,
  ) {
    super(message);
    this.name = 'NotReadyError';
  }
}

const STATE_EVERY_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;

/**
 * Polls the new container over the SSH tunnel until it answers HTTP with a status below 500. Fails at
 * once if the container exits or restarts, and when the budget runs out.
 */
export async function waitUntilReady(
  host: RemoteHost,
  container: string,
  port: number,
  readiness: Readiness,
) {
  const started = Date.now();
  let lastStateCheck = 0;
  let lastSeen = '';
  let attempts = 0;
  while (true) {
    attempts++;
    const result = await host.httpGet(port, readiness.path, REQUEST_TIMEOUT_MS);
    if (result.ok && result.status < 500) {
      return { attempts, status: result.status, elapsedMs: Date.now() - started };
    }
    const seen = result.ok ? `HTTP ${result.status}` : result.error;
    if (seen !== lastSeen) core.info(`  ${container}: GET ${readiness.path} → ${seen} (attempt ${attempts})`);
    lastSeen = seen;
    if (Date.now() - lastStateCheck >= STATE_EVERY_MS) {
      lastStateCheck = Date.now();
      const problem = await containerProblem(host, container);
      if (problem) throw await notReady(host, container, problem);
    }
    if (Date.now() - started >= readiness.timeoutMs) {
      const budget = `${readiness.timeoutMs / 1000}s`;
      throw await notReady(
        host,
        container,
        `not ready after ${budget} (${attempts} attempts, last: GET ${readiness.path} → ${seen})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, readiness.intervalMs));
  }
}

export async function containerProblem(host: RemoteHost, container: string): Promise<string | undefined> {
  const result = await host.run(docker.state(container), { allowFailure: true });
  if (result.code !== 0) return 'the container is gone';
  const [status, restarts, exitCode] = result.stdout.trim().split(' ');
  if (status !== 'running') return `the container is ${status} (exit code ${exitCode})`;
  if (Number(restarts) > 0)
    return `the container crashed and restarted ${restarts} time(s) (last exit code ${exitCode})`;
  return undefined;
}

export async function notReady(host: RemoteHost, container: string, why: string): Promise<NotReadyError> {
  const result = await host.run(docker.logs(container, 100), { allowFailure: true });
  const output = `${result.stdout}${result.stderr}`.trimEnd();
  return new NotReadyError(`${container} ${why}`, container, output);
}
