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
  /** Aborts the request in flight (the caller's deadline): resolves at once with its reason as the error. */
  signal?: AbortSignal;
}

const BODY_LIMIT = 64 * 1024;

/**
 * One HTTP/1.1 GET over a stream we open (an SSH forwarded channel). Never throws. The timeout is our
 * own timer: an SSH channel is not a socket and never emits the 'timeout' that http.request listens for.
 */
export async function httpGetOver(open: () => Promise<Duplex>, options: HttpOptions): Promise<HttpResult> {
  const { signal } = options;
  let stream: Duplex;
  try {
    const opened = await untilAborted(open(), signal);
    if (!opened) return { ok: false, error: abortReason(signal) };
    stream = opened;
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
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const onAbort = () => finish({ ok: false, error: abortReason(signal) });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
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

/** The opened stream, or undefined when the signal aborts first (a stream opened after that is destroyed). */
function untilAborted(opening: Promise<Duplex>, signal?: AbortSignal): Promise<Duplex | undefined> {
  if (!signal) return opening;
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    opening.then(
      (stream) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) stream.destroy();
        resolve(stream);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

function abortReason(signal?: AbortSignal): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
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
