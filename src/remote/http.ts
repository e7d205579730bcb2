import http from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export type HttpResult =
  { ok: true; status: number; body: string; location?: string } | { ok: false; error: string };

export interface HttpOptions {
  path: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Speak TLS over the stream. The certificate is not verified: the container is reached by address. */
  tls?: boolean;
}

const BODY_LIMIT = 64 * 1024;

/**
 * One HTTP/1.1 GET over a stream we open (an SSH forwarded channel). Never throws. The timeout is our
 * own timer: an SSH channel is not a socket and never emits the 'timeout' that http.request listens for.
 */
export async function httpGetOver(open: () => Promise<Duplex>, options: HttpOptions): Promise<HttpResult> {
  let stream: Duplex;
  try {
    stream = await open();
  } catch (error) {
    return { ok: false, error: `connection refused (${(error as Error).message})` };
  }
  const headers = {
    Host: 'localhost',
    'User-Agent': 'baton',
    Accept: '*/*',
    Connection: 'close',
    ...options.headers,
  };
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
      () => finish({ ok: false, error: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    try {
      const socket = options.tls
        ? tls.connect({
            socket: stream as never,
            rejectUnauthorized: false,
            servername: serverName(headers.Host),
          })
        : stream;
      const request = http.request(
        { path: options.path, method: 'GET', headers, createConnection: () => socket as never },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (body.length < BODY_LIMIT) body += chunk;
          });
          response.on('end', () =>
            finish({ ok: true, status: response.statusCode ?? 0, body, location: response.headers.location }),
          );
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

function serverName(host: string): string | undefined {
  const name = host.replace(/:\d+$/, '');
  return /^[\d.]+$|:/.test(name) ? undefined : name;
}

function describe(error: Error): string {
  return error.message === 'socket hang up'
    ? 'connection closed without an answer (is the app listening?)'
    : error.message;
}
