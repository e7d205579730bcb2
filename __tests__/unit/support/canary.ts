// Live traffic for the canary's tests: a FakeProxy whose traffic() answers figures computed second by
// second from a load the test describes, and a driver for the fake clock.
import { vi } from 'vitest';
import type { ReleaseTraffic, TrafficReport } from '../../../src/proxy/types';
import type { FakeServer } from './fakes';

/** What one release gets in one second: requests, 5xx among them, and their p99. */
export interface Rate {
  requests: number;
  errors?: number;
  p99?: number;
}

/**
 * The traffic of one second on one host, given the new release's share of the live route there (0..100)
 * and the seconds since that route went live (0 for the first second).
 */
export type Load = (now: { percent: number; second: number }) => { fresh?: Rate; old?: Rate };

/** Every request split by the route's weights, 100 a second, none failing, p99 20 ms. */
export const healthy: Load = ({ percent }) => ({
  fresh: { requests: percent, p99: 20 },
  old: { requests: 100 - percent, p99: 20 },
});

/**
 * Makes the server's proxy report `load` for the releases `fresh` and `old`: the figures of the whole
 * seconds since `since` (default: since the last commit or revert), as the nginx traffic log would.
 */
export function scriptTraffic(
  server: FakeServer,
  releases: { fresh: string; old: string },
  load: Load,
): void {
  const scriptedAt = Date.now();
  server.proxy.options.traffic = (app, since) => {
    const to = Date.now();
    const handedOver = server.proxy.handedOverAt ?? scriptedAt;
    const from = since?.at ?? handedOver;
    const percent = share(server, app, releases.fresh);
    const sums = { fresh: empty(releases.fresh, from, to), old: empty(releases.old, from, to) };
    for (let at = from; at + 1000 <= to; at += 1000) {
      const second = Math.floor((at - handedOver) / 1000);
      const rates = load({ percent, second });
      add(sums.fresh, rates.fresh);
      add(sums.old, rates.old);
    }
    const report: TrafficReport = {
      releases: [sums.fresh, sums.old].filter((entry) => entry.requests > 0),
      mark: { offset: to, at: to },
    };
    return report;
  };
}

/** The new release's share of the app's live route on the server, in percent. */
export function share(server: FakeServer, app: string, fresh: string): number {
  const route = server.proxy.live.get(app);
  if (!route) return 0;
  if (route.upstreams.length === 1) return route.release === fresh ? 100 : 0;
  const total = route.upstreams.reduce((sum, upstream) => sum + upstream.weight, 0);
  const weight = route.upstreams.find((upstream) => !upstream.release)?.weight ?? 0;
  return Math.round((weight / total) * 100);
}

function empty(release: string, from: number, to: number): ReleaseTraffic {
  return { release, requests: 0, errors: 0, p50Ms: undefined, p99Ms: undefined, firstAt: from, lastAt: to };
}

function add(sum: ReleaseTraffic, rate: Rate | undefined): void {
  if (!rate?.requests) return;
  sum.requests += rate.requests;
  sum.errors += rate.errors ?? 0;
  if (rate.p99 !== undefined) {
    sum.p99Ms = Math.max(sum.p99Ms ?? 0, rate.p99);
    sum.p50Ms = Math.max(sum.p50Ms ?? 0, rate.p99 / 2);
  }
}

/**
 * Runs the fake clock a second at a time until `work` settles (at most `limitSeconds`), and returns what
 * it settled with. For code that waits on timers under vi.useFakeTimers().
 */
export async function drive<T>(work: Promise<T>, limitSeconds = 24 * 3600): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let second = 0; !settled && second < limitSeconds; second++) await vi.advanceTimersByTimeAsync(1000);
  return work;
}
