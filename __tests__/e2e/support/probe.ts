import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { engine } from './docker';
import type { TestHost } from './host';

/** One GET / on a fresh connection: the body of a 200, else undefined. */
export function getBody(target: { port: number; host: string }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: target.port,
        path: '/',
        headers: { Host: target.host },
        agent: false,
        timeout: 1000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve(response.statusCode === 200 ? body : undefined));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** Polls nginx every 5 ms and resolves with the time it first serves `body`. */
export async function waitForBody(target: { port: number; host: string }, body: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await getBody(target))?.trim() === body) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`nginx never served ${body}`);
}

/**
 * When the app in the newest container of `app` with `envMarker` in its environment said it listens: the
 * timestamp dockerd gave its "listening on" log line. Read after the fact, so nothing polls the app
 * while Baton checks it.
 */
export async function listeningAt(host: TestHost, app: string, envMarker: string): Promise<number> {
  const docker = engine(host);
  const containers = await docker.listContainers({ all: true, filters: { label: [`baton.app=${app}`] } });
  for (const info of containers.sort((a, b) => b.Created - a.Created)) {
    const details = await docker.getContainer(info.Id).inspect();
    if (!details.Config.Env.includes(envMarker)) continue;
    const logs = execFileSync('docker', ['logs', '--timestamps', info.Id], {
      env: { ...process.env, DOCKER_HOST: host.DOCKER_HOST },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'], // the app's own log lines are on stdout; httpd's on stderr
    });
    const line = logs.split('\n').find((text) => text.includes(' listening on '));
    const stamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?)\d*Z /.exec(line ?? '')?.[1];
    if (stamp) return Date.parse(`${stamp}Z`);
    throw new Error(`${info.Names[0]} never said it listens:\n${logs}`);
  }
  throw new Error(`no container of ${app} with ${envMarker}`);
}
