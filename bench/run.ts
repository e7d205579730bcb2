// npm run bench: what users pay for a deploy, measured on the loopback host (scripts/test-host).
// Prints a table and writes bench/results.json. Figures are measurements, never pass/fail.
// BENCH_RUNS (default 5) sets the runs per figure.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeApp } from '../__tests__/e2e/support/docker';
import { readTestHost, ROOT, startTestHost } from '../__tests__/e2e/support/host';
import { buildImages, machine } from './host';
import { startStandIn } from '../__tests__/e2e/support/github-standin';
import * as scenario from './scenarios';
import { type Figure, figure, repeat } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IMAGES = 4;

interface Row {
  figure: string;
  unit: string;
  result: Figure;
}

async function main(): Promise<void> {
  const host = readTestHost(startTestHost());
  // As on a runner, every deploy has a GitHub to report to (the stand-in, checked with the OpenAPI description).
  const github = await startStandIn();
  process.env.BATON_TEST_GITHUB_API = github.url;
  const started = Date.now();
  log(`building ${IMAGES} versions of the test app`);
  const images = buildImages(
    host,
    Array.from({ length: IMAGES }, (_, n) => `v${n}`),
  );
  const context: scenario.Context = { host, images: IMAGES, image: (n) => images[n] as string };
  const rows: Row[] = [];
  const add = (name: string, unit: string, values: number[]) => {
    rows.push({ figure: name, unit, result: figure(values) });
  };
  try {
    await scenario.prepare(context);
    log('1. failed requests during a deploy under load: Baton');
    const baton = await repeat(RUNS, () => scenario.batonUnderLoad(context));
    log('1. … a release that fails its checks');
    const failing = await repeat(RUNS, () =>
      scenario.batonUnderLoad(context, { env: 'HEALTH=never', 'ready-timeout': '3' }),
    );
    const workers = machine(host).nginxWorkers;
    log(`1. … 32 keep-alive clients, nginx ${workers} workers: reload-free (default) and reload`);
    await scenario.prepareReload(context);
    const keepAlive = await repeat(RUNS, () => scenario.batonUnderLoad(context, {}, { connections: 32 }));
    const keepAliveReload = await repeat(RUNS, () =>
      scenario.batonUnderLoad(context, {}, { connections: 32, reload: true }),
    );
    for (const [name, runs] of [
      ['Baton (reload-free, default)', keepAlive],
      ['Baton (nginx-handover: reload)', keepAliveReload],
    ] as const) {
      add(
        `1. failed requests, strict, 32 keep-alive clients, nginx ${workers} workers: ${name}`,
        'requests',
        runs.map((run) => run.load.failedStrict),
      );
      add(
        `1. requests sent during it (32 clients): ${name}`,
        'requests',
        runs.map((run) => run.load.requests),
      );
    }
    log('1. … the hand-written docker stop && docker run');
    await scenario.naiveSetup(context);
    const naive = await repeat(RUNS, () => scenario.naiveUnderLoad(context));
    for (const [name, runs] of [
      ['Baton', baton],
      ['Baton, release failing its checks', failing],
      ['docker stop && docker run over SSH', naive],
    ] as const) {
      add(
        `1. failed requests, strict: ${name}`,
        'requests',
        runs.map((run) => run.load.failedStrict),
      );
      add(
        `1. failed requests, browser-like: ${name}`,
        'requests',
        runs.map((run) => run.load.failedRetried),
      );
      add(
        `1. requests sent during it: ${name}`,
        'requests',
        runs.map((run) => run.load.requests),
      );
    }
    log('2. ready → traffic');
    add(
      '2. ready → traffic, checks-timing fast (default)',
      'ms',
      await repeat(RUNS, () => scenario.readyToTraffic(context, 'fast')),
    );
    add(
      '2. ready → traffic, checks-timing dokku',
      'ms',
      await repeat(RUNS, () => scenario.readyToTraffic(context, 'dokku')),
    );
    add(
      '2. ready → traffic, checks-timing fast, nginx-handover: reload',
      'ms',
      await repeat(RUNS, () => scenario.readyToTraffic(context, 'fast', { reload: true })),
    );
    log('3. wall time against a minimal script');
    await scenario.minimalSetup(context);
    const batonWall = await repeat(RUNS, () => scenario.batonWallTime(context));
    const minimal = await repeat(RUNS, () => scenario.minimalWallTime(context));
    add(
      '3. deploy wall time: Baton',
      's',
      batonWall.map((run) => run.seconds),
    );
    add(
      '3. deploy wall time: minimal script',
      's',
      minimal.map((run) => run.seconds),
    );
    const batonSeconds = figure(batonWall.map((run) => run.seconds)).median;
    add('3. ratio Baton / minimal script (medians)', '×', [
      batonSeconds / figure(minimal.map((run) => run.seconds)).median,
    ]);
    for (const name of Object.keys(batonWall[0]?.phases ?? {})) {
      add(
        `3.   Baton phase ${name}`,
        's',
        batonWall.map((run) => run.phases[name] ?? 0),
      );
    }
    log('6. canary: a release answering 20% 500s, rolled back (defaults, then a fast setting)');
    const canaryRuns = Math.min(RUNS, 3);
    for (const [name, inputs] of [
      ['defaults (steps 60 s, checks every 10 s, 2 failing in a row)', {}],
      [
        'fast (steps 5 s, checks every 1 s, 1 failing check)',
        { 'canary-step-seconds': '5', 'canary-check-seconds': '1', 'canary-failure-limit': '1' },
      ],
    ] as const) {
      const runs = await repeat(canaryRuns, () => scenario.canaryRollback(context, inputs));
      add(
        `6. fault → rollback, ${name}`,
        's',
        runs.map((run) => run.faultToRollbackMs / 1000),
      );
      add(
        `6. requests the bad release served first, ${name}`,
        'requests',
        runs.map((run) => run.served),
      );
      add(
        `6. of all requests during the deploy (32 clients), ${name}`,
        'requests',
        runs.map((run) => run.load.requests),
      );
    }
    log('4. cold start');
    add(
      '4. cold start: node dist/index.js to its first line',
      'ms',
      await repeat(Math.max(RUNS, 10), () => scenario.coldStart(context)),
    );
    const size = scenario.bundleSize();
    add('4. bundle size dist/index.js', 'KiB', [size.bytes / 1024]);
    add('4. bundle size, gzipped', 'KiB', [size.gzipBytes / 1024]);
    add(
      '5. SSH connections per host per deploy: Baton',
      'connections',
      baton.map((run) => run.sshLogins),
    );
    add(
      '5. SSH connections per host per deploy: minimal script',
      'connections',
      minimal.map((run) => run.sshLogins),
    );
  } finally {
    await scenario.naiveCleanup(context);
    await scenario.minimalCleanup(context);
    await removeApp(host, scenario.APP);
    await removeApp(host, scenario.RELOAD_APP);
    await github.close();
  }
  const results = {
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    runs: RUNS,
    seconds: Math.round((Date.now() - started) / 1000),
    machine: machine(host),
    counting:
      'strict: every request without a 2xx answer, including one sent on a keep-alive connection that nginx closed at reload; ' +
      'browser-like: such a request (reused connection closed or reset before any answer) is retried, as browsers do, and not counted',
    figures: rows,
  };
  writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(table(rows, results.machine));
  console.log(`\nWrote bench/results.json (${results.seconds} s, ${RUNS} runs per figure)`);
}

function table(rows: Row[], info: Record<string, string | number>): string {
  const number = (value: number) =>
    Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 0);
  const lines = rows.map((row) => {
    const { median, min, max, values } = row.result;
    const range = values.length > 1 ? `${number(min)}–${number(max)}` : '';
    return [row.figure, `${number(median)} ${row.unit}`, range];
  });
  const widths = [0, 1, 2].map((i) =>
    Math.max(...[['figure', 'median', 'min–max'], ...lines].map((line) => line[i]?.length ?? 0)),
  );
  const format = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ');
  const machineLine = `${info.cpu} × ${info.cores}, ${info.memoryGiB} GiB, ${info.os}, Node ${info.node}, Docker ${info.docker}, nginx ${info.nginx}`;
  return ['', machineLine, '', format(['figure', 'median', 'min–max']), ...lines.map(format)].join('\n');
}

function log(message: string): void {
  console.error(`bench: ${message}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
