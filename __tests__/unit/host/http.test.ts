import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { httpGetOver } from '../../../src/host/http';
import { configError, fakeSources, MINIMAL } from '../support';

/** A stand-in for an SSH forwarded channel: records the request, and answers with `reply` once it ends. */
function fakeChannel(reply: ((request: string) => string | null) | undefined) {
  let request = '';
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      request += chunk.toString('latin1');
      if (request.includes('\r\n\r\n') && reply) {
        const answer = reply(request);
        if (answer === null) this.push(null);
        else this.push(answer);
      }
      callback();
    },
  });
  return { stream, request: () => request };
}

describe('httpGetOver', () => {
  it('sends a GET for the path with the Host header and reads the status and body', async () => {
    const channel = fakeChannel(() => 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    const result = await httpGetOver(async () => channel.stream, {
      path: '/healthz?deep=1',
      timeoutMs: 1000,
      headers: { Host: 'web.example.com' },
    });
    expect(result).toEqual({ ok: true, status: 204, body: '' });
    expect(channel.request()).toMatch(/^GET \/healthz\?deep=1 HTTP\/1\.1\r\n/);
    expect(channel.request()).toMatch(/\r\nHost: web\.example\.com\r\n/i);
  });

  it('returns error statuses as answers', async () => {
    const channel = fakeChannel(
      () => 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 7\r\nConnection: close\r\n\r\nstarted',
    );
    expect(await httpGetOver(async () => channel.stream, { path: '/', timeoutMs: 1000 })).toEqual({
      ok: true,
      status: 503,
      body: 'started',
    });
  });

  it('reports a refused channel without throwing', async () => {
    const result = await httpGetOver(
      async () => {
        throw new Error('Connection refused');
      },
      { path: '/', timeoutMs: 1000 },
    );
    expect(result).toEqual({ ok: false, error: 'connection refused (Connection refused)' });
  });

  it('reports a channel closed without an answer', async () => {
    const channel = fakeChannel(() => null);
    expect(await httpGetOver(async () => channel.stream, { path: '/', timeoutMs: 1000 })).toEqual({
      ok: false,
      error: 'connection closed without an answer (is the app listening?)',
    });
  });

  // Regression (was a bug in src/host/http.ts httpGetOver): the request timeout is the `timeout` option of http.request,
  // which only listens for a 'timeout' event from the socket. A stream from createConnection that is
  // not a net.Socket (ssh2's forwardOut Channel, like this fake) never emits one, so a request the app
  // accepts but never answers hangs forever, and waitUntilReady's ready-timeout budget is never checked.
  it('gives up when the app never answers', async () => {
    const channel = fakeChannel(undefined);
    try {
      const pending = httpGetOver(async () => channel.stream, { path: '/', timeoutMs: 100 });
      const result = await Promise.race([
        pending,
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 1s'), 1000)),
      ]);
      expect(result).toEqual({ ok: false, error: 'no answer within 100 ms' });
    } finally {
      channel.stream.destroy();
    }
  });

  // Regression (was a bug in src/host/http.ts httpGetOver, with src/config/index.ts ready-path validation): loadConfig
  // accepts any ready-path starting with "/", e.g. "/health check"; http.request then throws
  // ERR_UNESCAPED_CHARACTERS inside the Promise executor, so httpGetOver rejects (it documents
  // "never throws") and the opened SSH channel is never destroyed. The bad path is only noticed on
  // the hosts, after the new container has started.
  it('loadConfig refuses a ready-path that cannot be a request path', () => {
    for (const path of ['/health check', '/健康']) {
      expect(configError(() => loadConfig(fakeSources({ ...MINIMAL, 'ready-path': path }))).message).toMatch(
        /^input "ready-path":/,
      );
    }
  });

  it('resolves (never throws) and closes the channel for a path with a space', async () => {
    const channel = fakeChannel(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const result = await httpGetOver(async () => channel.stream, { path: '/health check', timeoutMs: 1000 });
    expect(result.ok).toBe(false);
    expect(channel.stream.destroyed).toBe(true);
  });
});
