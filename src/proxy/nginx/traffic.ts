// Per-release figures from the app's traffic log (see renderSocketSite's log_format), read incrementally.

import type { ReleaseTraffic, TrafficReport } from '../types';
import { parseForwarderName } from './forwarder';

interface Entry {
  at: number;
  release: string;
  status: number;
  ms: number | undefined;
}

/**
 * TRAFFIC's output: bucket links, the log's size, then log lines. A request nginx could not pass on (its
 * own 502/504) has no release header: it counts for the release its bucket points at now.
 */
export function tallyTraffic(output: string): TrafficReport {
  const links = new Map<string, string>();
  let size = 0;
  const entries: Entry[] = [];
  for (const line of output.split('\n')) {
    const link = /^link (b\d\d) (.*)$/.exec(line);
    if (link) {
      const name = /\/(f-[^/]+)\/sock$/.exec(link[2] as string)?.[1];
      const release = name ? parseForwarderName(name)?.release : undefined;
      if (release) links.set(link[1] as string, release);
      continue;
    }
    const sized = /^size (\d+)$/.exec(line);
    if (sized) {
      size = Number(sized[1]);
      continue;
    }
    const entry = parseEntry(line, links);
    if (entry) entries.push(entry);
  }
  return { releases: summarize(entries), mark: { offset: size, at: Date.now() } };
}

function parseEntry(line: string, links: Map<string, string>): Entry | undefined {
  const match = /^(\d+\.\d+) (b\d\d) (\d{3}) "([^"]*)" "([^"]*)"$/.exec(line);
  if (!match) return undefined;
  const header = match[4] as string;
  const release = header && header !== '-' ? header : links.get(match[2] as string);
  if (!release) return undefined;
  const times = (match[5] as string).split(/[,:]\s*/).filter((value) => /^\d/.test(value));
  const last = times.at(-1);
  return {
    at: Number(match[1]) * 1000,
    release,
    status: Number(match[3]),
    ms: last === undefined ? undefined : Number(last) * 1000,
  };
}

function summarize(entries: Entry[]): ReleaseTraffic[] {
  const byRelease = new Map<string, Entry[]>();
  for (const entry of entries) {
    const list = byRelease.get(entry.release);
    if (list) list.push(entry);
    else byRelease.set(entry.release, [entry]);
  }
  return [...byRelease].map(([release, list]) => {
    const times = list.flatMap((entry) => (entry.ms === undefined ? [] : [entry.ms])).sort((a, b) => a - b);
    return {
      release,
      requests: list.length,
      errors: list.filter((entry) => entry.status >= 500).length,
      p50Ms: percentile(times, 0.5),
      p99Ms: percentile(times, 0.99),
      firstAt: list.reduce((min, entry) => Math.min(min, entry.at), Infinity),
      lastAt: list.reduce((max, entry) => Math.max(max, entry.at), 0),
    };
  });
}

/** Nearest-rank percentile; undefined without values. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
