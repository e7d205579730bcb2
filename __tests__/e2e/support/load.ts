import http from 'node:http';

export interface LoadReport {
  sent: number;
  ok: number;
  /** Every request that did not get a 2xx: resets, hang-ups, timeouts, 5xx. Nothing is retried. */
  failed: number;
  failures: string[];
  /** Response bodies in the order they arrived, run-length encoded: [["version v1", 120], ["version v2", 80]]. */
  bodies: [string, number][];
  /** Per client (with clients > 0): the bodies each one got, in order, run-length encoded. */
  perClient: [string, number][][];
  /** With `timeline`: every request, in the order answered. */
  timeline: Sample[];
}

/** One request: the client (User-Agent), when it was sent and answered (ms), its status and body, or the error. */
export interface Sample {
  client: string;
  sentAt: number;
  at: number;
  /** The HTTP status; 0 when no response came (reset, timeout). */
  status: number;
  /** The trimmed body, or the error when no response came. */
  body: string;
}

export interface LoadOptions {
  port: number;
  host: string;
  concurrency?: number;
  maxRequests?: number;
  maxMs?: number;
  /** 'keep-alive' (default): each client reuses its connection; 'new': a new connection per request. */
  connection?: 'keep-alive' | 'new';
  /** Pause between a client's requests, so that a bounded machine is loaded, not saturated. */
  pauseMs?: number;
  /** Each worker plays this many distinct clients in turn (own User-Agent, own connection). */
  clientsPerWorker?: number;
  /** With it, each client sends exactly this many requests (maxRequests and maxMs still bound the run). */
  requestsPerClient?: number;
  path?: string;
  /** Keep every request in report.timeline (to tell which release answered when). */
  timeline?: boolean;
}

/**
 * A bounded load loop against nginx: `concurrency` workers until stop() is called, maxRequests are sent or
 * maxMs pass. Counted strictly: a request that did not get a 2xx is a failure, whatever the cause.
 */
export function startLoad(options: LoadOptions): {
  stop(): Promise<LoadReport>;
  finished(): Promise<LoadReport>;
} {
  const {
    concurrency = 4,
    maxRequests = 20_000,
    maxMs = 120_000,
    pauseMs = 0,
    clientsPerWorker = 1,
  } = options;
  const report: LoadReport = {
    sent: 0,
    ok: 0,
    failed: 0,
    failures: [],
    bodies: [],
    perClient: [],
    timeline: [],
  };
  const deadline = Date.now() + maxMs;
  let stopping = false;
  const record = (list: [string, number][], body: string) => {
    const last = list.at(-1);
    if (last && last[0] === body) last[1]++;
    else list.push([body, 1]);
  };
  const worker = async (index: number) => {
    const clients = Array.from({ length: clientsPerWorker }, (_, k) => ({
      agent:
        options.connection === 'new' ? (false as const) : new http.Agent({ keepAlive: true, maxSockets: 1 }),
      name: `baton-load/${index * clientsPerWorker + k}`,
      seen: [] as [string, number][],
    }));
    report.perClient.push(...clients.map((client) => client.seen));
    const turns = options.requestsPerClient ? options.requestsPerClient * clients.length : Infinity;
    for (
      let turn = 0;
      turn < turns && !stopping && report.sent < maxRequests && Date.now() < deadline;
      turn++
    ) {
      const client = clients[turn % clients.length] as (typeof clients)[number];
      report.sent++;
      const sentAt = Date.now();
      const result = await get(client.agent, client.name, options);
      if (options.timeline) {
        const { status, body } = result.ok
          ? result
          : { status: result.status, body: result.body ?? result.error };
        report.timeline.push({ client: client.name, sentAt, at: Date.now(), status, body });
      }
      if (result.ok) {
        report.ok++;
        record(report.bodies, result.body);
        record(client.seen, result.body);
      } else {
        report.failed++;
        const at = new Date().toISOString().slice(11, 23);
        if (report.failures.length < 20) report.failures.push(`${at} ${result.error}`);
      }
      if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    for (const client of clients) if (client.agent) client.agent.destroy();
  };
  const workers = Array.from({ length: concurrency }, (_, index) => worker(index));
  return {
    async stop() {
      stopping = true;
      await Promise.all(workers);
      return report;
    },
    /** Waits until maxRequests are sent or maxMs pass. */
    async finished() {
      await Promise.all(workers);
      return report;
    },
  };
}

type Result =
  { ok: true; status: number; body: string } | { ok: false; status: number; body?: string; error: string };

function get(agent: http.Agent | false, userAgent: string, options: LoadOptions): Promise<Result> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        headers: { Host: options.host, 'User-Agent': userAgent },
        agent,
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ ok: true, status, body: body.trim() });
          else
            resolve({ ok: false, status, body: body.trim(), error: `HTTP ${status}: ${body.slice(0, 80)}` });
        });
        response.on('error', (error) => resolve({ ok: false, status: 0, error: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const where = request.reusedSocket ? 'reused connection' : 'new connection';
      resolve({ ok: false, status: 0, error: `${error.code ?? ''} ${error.message} (${where})` });
    });
  });
}
