import http from 'node:http';

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  /** Requests retried once because nginx closed an idle keep-alive connection at reload (as a browser does). */
  retried: number;
  failures: string[];
  /** Response bodies in the order they arrived, run-length encoded: [["version v1", 120], ["version v2", 80]]. */
  bodies: [string, number][];
}

export interface LoadOptions {
  port: number;
  host: string;
  concurrency?: number;
  maxRequests?: number;
  maxMs?: number;
}

/**
 * A bounded load loop against nginx: `concurrency` clients on keep-alive connections, until stop() is
 * called, maxRequests are sent or maxMs pass. Non-2xx, resets and other errors count as failed, except a
 * request sent on a reused idle connection that the server closed, which is retried once.
 */
export function startLoad(options: LoadOptions): { stop(): Promise<LoadReport> } {
  const { concurrency = 4, maxRequests = 20_000, maxMs = 120_000 } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const report: LoadReport = { sent: 0, ok: 0, failed: 0, retried: 0, failures: [], bodies: [] };
  const deadline = Date.now() + maxMs;
  let stopping = false;
  const record = (body: string) => {
    const last = report.bodies.at(-1);
    if (last && last[0] === body) last[1]++;
    else report.bodies.push([body, 1]);
  };
  const worker = async () => {
    while (!stopping && report.sent < maxRequests && Date.now() < deadline) {
      report.sent++;
      let result = await get(agent, options);
      if (!result.ok && result.retryable) {
        // A browser retries such a request once, on a new connection.
        report.retried++;
        result = await get(false, options);
        if (!result.ok) result = { ...result, error: `${result.error} (on retry)` };
      }
      if (result.ok) {
        report.ok++;
        record(result.body);
      } else {
        report.failed++;
        const at = new Date().toISOString().slice(11, 23);
        if (report.failures.length < 20) report.failures.push(`${at} ${result.error}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    async stop() {
      stopping = true;
      await Promise.all(workers);
      agent.destroy();
      return report;
    },
  };
}

type Result = { ok: true; body: string } | { ok: false; error: string; retryable: boolean };

function get(agent: http.Agent | false, options: LoadOptions): Promise<Result> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: options.port,
        path: '/',
        headers: { Host: options.host },
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
          if (status >= 200 && status < 300) resolve({ ok: true, body: body.trim() });
          else resolve({ ok: false, error: `HTTP ${status}: ${body.slice(0, 80)}`, retryable: false });
        });
        response.on('error', (error) => resolve({ ok: false, error: error.message, retryable: false }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const closedIdle = request.reusedSocket && ['ECONNRESET', 'EPIPE'].includes(error.code ?? '');
      const where = request.reusedSocket ? 'reused connection' : 'new connection';
      resolve({
        ok: false,
        error: `${error.code ?? ''} ${error.message} (${where})`,
        retryable: Boolean(closedIdle),
      });
    });
  });
}
