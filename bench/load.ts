// Steady load on nginx during a deploy, from autocannon (maintained by the Node.js performance team).
// autocannon reconnects silently when the server closes a keep-alive connection with a request in
// flight, as a browser would retry it. To count those requests both ways, its HTTP client is
// instrumented to see every connection that ends or errors, and whether that connection had already
// served a response (a reused keep-alive connection) or not (a fresh one).
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

const require = createRequire(__filename);
const Client = require('autocannon/lib/httpClient') as {
  prototype: { _connect(this: ClientState): void };
};

interface ClientState {
  conn: NodeJS.EventEmitter;
  destroyed: boolean;
  on(event: 'response', listener: () => void): void;
  on(event: 'headers', listener: (head: { shouldKeepAlive?: boolean }) => void): void;
  baton?: { responses: number; closing: boolean; watching: boolean };
}

interface Tally {
  /** The server said `Connection: close` (e.g. nginx's keepalive_requests): no request was lost. */
  announced: number;
  /** A reused keep-alive connection closed or reset before the next response: a browser retries it. */
  reusedClosed: number;
  /** A fresh connection refused, closed or reset before its first response: a real failure. */
  freshFailed: number;
}

let tally: Tally | undefined;

const originalConnect = Client.prototype._connect;
Client.prototype._connect = function (this: ClientState) {
  const state = (this.baton ??= { responses: 0, closing: false, watching: false });
  if (!state.watching) {
    state.watching = true;
    this.on('response', () => state.responses++);
    this.on('headers', (head) => (state.closing = head.shouldKeepAlive === false));
  }
  state.responses = 0;
  state.closing = false;
  originalConnect.call(this);
  let counted = false;
  const lost = () => {
    if (this.destroyed || !tally || counted) return;
    counted = true;
    // autocannon writes the next request before it sees the close a `Connection: close` announced.
    if (state.closing) tally.announced++;
    else if (state.responses > 0) tally.reusedClosed++;
    else tally.freshFailed++;
  };
  this.conn.prependListener('end', lost);
  this.conn.prependListener('error', lost);
};

/** Gives each autocannon client a User-Agent of its own. */
function distinctAgent() {
  let clients = 0;
  return (client: { setHeaders(headers: Record<string, string>): void }) => {
    client.setHeaders({ 'user-agent': `bench-client-${++clients}` });
  };
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  timeouts: number;
  /** Strict: every request that did not get a 2xx, including those on keep-alive connections closed at reload. */
  failedStrict: number;
  /** Browser-like: as strict, but a request on a reused keep-alive connection closed before any answer is retried, not failed. */
  failedRetried: number;
  reusedClosed: number;
  seconds: number;
}

/** Starts `connections` keep-alive clients against nginx for the Host name; stop() returns the counts. */
export function startLoad(options: {
  port: number;
  host: string;
  connections?: number;
  maxSeconds?: number;
  /** Default /. */
  path?: string;
  /** Each connection its own User-Agent: nginx's split (a canary's share) hashes clients by it. */
  distinctClients?: boolean;
}) {
  tally = { announced: 0, reusedClosed: 0, freshFailed: 0 };
  const mine = tally;
  const started = Date.now();
  let ok = 0;
  let non2xx = 0;
  let finish: (result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${options.port}${options.path ?? '/'}`,
      headers: { host: options.host },
      ...(options.distinctClients ? { setupClient: distinctAgent() } : {}),
      connections: options.connections ?? 4,
      duration: options.maxSeconds ?? 120,
      timeout: 5,
    },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  instance.on('response', (_client, status) => {
    if (status >= 200 && status < 300) ok++;
    else non2xx++;
  });
  return {
    async stop(): Promise<LoadResult> {
      instance.stop();
      const result = await finished;
      tally = undefined;
      const lostFresh = mine.freshFailed;
      return {
        requests: ok + non2xx + result.timeouts + mine.reusedClosed + lostFresh,
        ok,
        non2xx,
        timeouts: result.timeouts,
        failedStrict: non2xx + result.timeouts + mine.reusedClosed + lostFresh,
        failedRetried: non2xx + result.timeouts + lostFresh,
        reusedClosed: mine.reusedClosed,
        seconds: (Date.now() - started) / 1000,
      };
    },
  };
}
