import http from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpResult = { ok: true; status: number; body: string } | { ok: false; error: string };

const BODY_LIMIT = 4096;

/**
 * One HTTP/1.1 GET over a stream we open (an SSH forwarded channel). Never throws. The timeout is our
 * own timer: an SSH channel is not a socket and never emits the 'timeout' that http.request listens for.
 */
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
    let settled = false;
    const finish = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    try {
      const request = http.request(
        {
          path,
          method: 'GET',
          headers: { Host: hostHeader, 'User-Agent': 'baton', Connection: 'close' },
          createConnection: () => stream as never,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (body.length < BODY_LIMIT) body += chunk;
          });
          response.on('end', () => finish({ ok: true, status: response.statusCode ?? 0, body }));
          response.on('error', (error) => finish({ ok: false, error: error.message }));
        },
      );
      request.on('error', (error) => finish({ ok: false, error: describe(error) }));
      request.end();
    } catch (error) {
      finish({ ok: false, error: (error as Error).message });
    }
  });
}

function describe(error: Error): string {
  return error.message === 'socket hang up'
    ? 'connection closed without an answer (is the app listening?)'
    : error.message;
}
