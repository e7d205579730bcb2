import http from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpResult = { ok: true; status: number; body: string } | { ok: false; error: string };

const BODY_LIMIT = 4096;

/** One HTTP/1.1 GET over an already-open stream (an SSH forwarded channel); never throws. */
export async function httpGetOver(
  open: () => Promise<Duplex>,
  path: string,
  timeoutMs: number,
  hostHeader = 'localhost',
): Promise<HttpResult> {
  let stream: Duplex;
  try {
    stream = await open();
  } catch (error) {
    return { ok: false, error: `connection refused (${(error as Error).message})` };
  }
  return new Promise((resolve) => {
    const request = http.request(
      {
        path,
        method: 'GET',
        headers: { Host: hostHeader, 'User-Agent': 'baton', Connection: 'close' },
        createConnection: () => stream as never,
        timeout: timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < BODY_LIMIT) body += chunk;
        });
        response.on('end', () => resolve({ ok: true, status: response.statusCode ?? 0, body }));
        response.on('error', (error) => resolve({ ok: false, error: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => {
      stream.destroy();
      const closed = error.message === 'socket hang up';
      resolve({
        ok: false,
        error: closed ? 'connection closed without an answer (is the app listening?)' : error.message,
      });
    });
    request.end();
  });
}
