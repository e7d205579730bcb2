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

/** Polls nginx every 10 ms and resolves with the time it first serves `body`. */
export async function waitForBody(target: { port: number; host: string }, body: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await getBody(target))?.trim() === body) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nginx never served ${body}`);
}

/**
 * Polls the app's container that has `envMarker` in its environment directly (its published port) and
 * resolves with the time it first answers: the moment the app is ready, whatever Baton is doing.
 */
export async function watchNewContainer(host: TestHost, app: string, envMarker: string): Promise<number> {
  const docker = engine(host);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const info of await docker.listContainers({ filters: { label: [`baton.app=${app}`] } })) {
      const details = await docker.getContainer(info.Id).inspect();
      if (!details.Config.Env.includes(envMarker)) continue;
      const port = info.Ports.find((entry) => entry.PrivatePort === 8080)?.PublicPort;
      if (port && (await getBody({ port, host: 'localhost' })) !== undefined) return Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the new container never answered');
}
