import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction, type StartedAction, startAction } from './support/action';
import { appContainers, removeApp } from './support/docker';
import { hostInputs, readTestHost, releaseHistory } from './support/host';
import { type LoadReport, type Sample, startLoad } from './support/load';
import { type StandIn, startStandIn } from './support/github-standin';
import { liveRelease } from './support/nginx';

// Issue 14: traffic moves to a new release in canary steps judged by live traffic, and goes back to the
// old release at once when a step, the cooldown or the run (cancelled) says so. Short steps (seconds);
// the test app's fault knobs (FAIL_PERCENT, LATENCY_MS, FAULT_AFTER) make a release bad on
// /cgi-bin/work, which the load asks for; its body names the release that answered.

const host = readTestHost();
const APPS = [
  'canary-ok',
  'canary-5xx',
  'canary-slow',
  'canary-late',
  'canary-cxl',
  'canary-end',
  'canary-host',
] as const;
type App = (typeof APPS)[number];
let commit = 0;
const loads: { stop(): Promise<LoadReport> }[] = [];

function env(extra: Record<string, string> = {}): Record<string, string> {
  commit++;
  return {
    DOCKER_HOST: host.DOCKER_HOST,
    GITHUB_SHA: String(commit).padStart(40, 'a'),
    GITHUB_RUN_ID: String(commit),
    ...extra,
  };
}

/** v1, all at once: a first deploy has no release to compare with. */
async function deployV1(app: App): Promise<string> {
  const run = await runAction(
    { ...hostInputs(host, app), 'build-args': 'VERSION=v1' }, // skip-canary: true (hostInputs)
    env(),
  );
  expect(run.code, run.stdout).toBe(0);
  return run.outputs.release as string;
}

/**
 * v2 in short canary steps; `extra` sets the thresholds, cooldown and the app's fault knobs (env). The p99
 * ratio to the old release is loose (3×, not 1.2×): on a small machine shared with nginx, dockerd, the
 * action and the load, two slow requests among the canary's first hundred fail a step (p99 61 ms against
 * 27 ms, seen); a slow release is told by canary-max-p99.
 */
function deployV2(
  app: App,
  extra: Record<string, string> = {},
  variables: Record<string, string> = {},
): StartedAction {
  return startAction(
    {
      ...hostInputs(host, app),
      'build-args': 'VERSION=v2',
      'skip-canary': 'false',
      'canary-steps': '10,25,50,100',
      'canary-step-seconds': '3',
      'canary-check-seconds': '1',
      'canary-min-requests': '5',
      'canary-cooldown': '0',
      'canary-max-p99-ratio': '3',
      ...extra,
    },
    env(variables),
  );
}

/**
 * 200 keep-alive clients (10 workers playing 20 clients each, each its own User-Agent, so they spread
 * over nginx's buckets) on /cgi-bin/work, paced to load the machine without saturating it.
 */
function startClients(app: App) {
  const load = startLoad({
    port: Number(host.NGINX_PORT),
    host: `${app}.test`,
    path: '/cgi-bin/work',
    concurrency: 10,
    clientsPerWorker: 20,
    pauseMs: 20,
    maxMs: 150_000,
    maxRequests: 1_000_000,
    timeline: true,
  });
  loads.push(load);
  return load;
}

/** The release that answered a request, from its body ("work v2", "work v2 failing"). */
const version = (sample: Sample) => /^work (v\d+)/.exec(sample.body)?.[1];

/** When (ms) the action's log first matches `pattern`; fails as soon as the run ends without it. */
async function seen(started: StartedAction, pattern: RegExp, timeoutMs = 120_000): Promise<number> {
  const ended = started.done.then((run) => {
    throw new Error(`the run ended without ${pattern}:\n${run.stdout}`);
  });
  ended.catch(() => undefined);
  await Promise.race([started.waitFor(pattern, timeoutMs), ended]);
  return Date.now();
}

/** The canary's lines of the log (steps, checks, verdicts), for the test's output. */
function canaryLines(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((line) => line.includes('[canary]') || line.includes('previous release again'))
    .join('\n');
}

/** Lets the clients run on a little after the deploy ended, then stops them. */
async function stopAfter(load: { stop(): Promise<LoadReport> }, ms = 1000): Promise<LoadReport> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return load.stop();
}

/** The line that says traffic is back on the old release (the ✗ line before it comes before the move). */
const REVERTED = /✓ \S+ \(reload-free\) routes \S+ to the previous release again/;

/** The release the deploy recorded besides `old`, and the app's history. */
function newRelease(app: App, old: string): { release: string; history: ReturnType<typeof releaseHistory> } {
  const history = releaseHistory(`${host.BATON_TEST_ROOT}/state/${app}`);
  const release = Object.keys(history.outcome).find((id) => id !== old) as string;
  return { release, history };
}

/** After a rollback: the old release is current and routed, the new container is gone. */
async function expectRolledBackTo(app: App, old: string, outcome: string, run: ActionRun): Promise<void> {
  const { release, history } = newRelease(app, old);
  expect(release, run.stdout).toBeDefined();
  expect(history).toMatchObject({ current: old, outcome: { [old]: 'done', [release]: outcome } });
  expect(liveRelease(host, app)).toBe(old);
  const names = (await appContainers(host, app))
    .filter((container) => container.state === 'running')
    .map((container) => container.name);
  expect(names).toEqual([`${app}-${old}`]);
}

/** No request sent after `at` reached v2; and some reached it before (the canary did get traffic). */
function expectOnlyV1After(report: LoadReport, at: number): void {
  const after = report.timeline.filter((sample) => sample.sentAt > at);
  const late = after.filter((sample) => version(sample) !== 'v1');
  expect(after.length).toBeGreaterThan(0);
  expect(
    late.slice(0, 5),
    `${late.length} request(s) sent after the rollback were not answered by v1`,
  ).toEqual([]);
  expect(report.timeline.some((sample) => sample.sentAt < at && version(sample) === 'v2')).toBe(true);
}

function describeLoad(report: LoadReport): string {
  return `${report.ok} ok, ${report.failed} failed of ${report.sent} (strict) ${JSON.stringify(report.failures.slice(0, 5))}`;
}

describe('canary steps judged by live traffic (issue 14)', () => {
  beforeAll(async () => {
    for (const app of APPS) await removeApp(host, app);
  });
  afterEach(async () => {
    for (const load of loads.splice(0)) await load.stop();
  });
  afterAll(async () => {
    for (const app of APPS) await removeApp(host, app);
  });

  it('a healthy release goes 10 → 25 → 50 → 100% under load: 0 failed requests, each step splits as it says', async () => {
    const app = 'canary-ok';
    const old = await deployV1(app);
    const load = startClients(app);
    const started = deployV2(app);
    const steps = [10, 25, 50, 100];
    const at: number[] = [];
    for (const [index, percent] of steps.entries())
      at.push(
        await seen(started, new RegExp(`\\[canary\\] Step ${index + 1}/4: routing ${percent}% traffic → `)),
      );
    await seen(started, /\[canary\] ✓ Deployment complete/);
    const run = await started.done;
    const report = await stopAfter(load);
    at.push(Date.now()); // the last step (100%) lasts until the clients stop
    console.log(canaryLines(run));
    console.log(`healthy canary: ${describeLoad(report)}`);
    expect(run.code, run.stdout).toBe(0);
    expect(report.failed, describeLoad(report)).toBe(0);
    const { release, history } = newRelease(app, old);
    expect(history).toMatchObject({ current: release, outcome: { [old]: 'done', [release]: 'done' } });
    expect(run.stdout.match(/\[canary\] Metrics OK after \d+s/g)).toHaveLength(3);

    // Per step, the share of requests v2 answered: requests sent from just after the step's log line (the
    // links moved before it) until the next step's line.
    const shares = steps.map((percent, index) => {
      const from = (at[index] as number) + 250;
      const to = at[index + 1] as number;
      const window = report.timeline.filter((sample) => sample.sentAt >= from && sample.at <= to);
      const v2 = window.filter((sample) => version(sample) === 'v2').length;
      return { percent, requests: window.length, observed: Number(((v2 / window.length) * 100).toFixed(1)) };
    });
    console.log(`observed split per step: ${JSON.stringify(shares)}`);
    for (const share of shares) {
      expect(share.requests, JSON.stringify(share)).toBeGreaterThanOrEqual(50);
      expect(Math.abs(share.observed - share.percent), JSON.stringify(shares)).toBeLessThanOrEqual(5);
    }
  });

  it('a release answering 20% 500s is rolled back at step 1; no request after the rollback reaches it', async () => {
    const app = 'canary-5xx';
    const old = await deployV1(app);
    const load = startClients(app);
    const started = deployV2(app, { env: 'FAIL_PERCENT=20' });
    await seen(started, /\[canary\] Step 1\/4: routing 10% traffic/);
    const reverted = await seen(started, REVERTED);
    const run = await started.done;
    console.log(canaryLines(run));
    const report = await stopAfter(load);
    console.log(`5xx canary: ${describeLoad(report)}`);
    expect(run.code, run.stdout).not.toBe(0);
    expect(run.stdout).not.toContain('[canary] Step 2/');
    expect(run.stdout).toMatch(/\[canary\] ✗ step 1 \(10%\): 5xx rate [\d.]+% is above 1%/);
    expect(run.summary).toMatch(/step 1 \(10%\): 5xx rate [\d.]+% is above 1%/);
    await expectRolledBackTo(app, old, 'rolled back', run);
    expectOnlyV1After(report, reverted);
    // Every failed request was one of v2's 500s.
    for (const sample of report.timeline.filter((entry) => entry.status !== 200))
      expect(sample).toMatchObject({ status: 500, body: 'work v2 failing' });
  });

  it('a slow release (p99 above canary-max-p99) is rolled back on p99', async () => {
    const app = 'canary-slow';
    const old = await deployV1(app);
    const load = startClients(app);
    const started = deployV2(app, { env: 'LATENCY_MS=300', 'canary-max-p99': '100' });
    await seen(started, /\[canary\] Step 1\/4: routing 10% traffic/);
    const reverted = await seen(started, REVERTED);
    const run = await started.done;
    console.log(canaryLines(run));
    const report = await stopAfter(load);
    console.log(`slow canary: ${describeLoad(report)}`);
    expect(run.code, run.stdout).not.toBe(0);
    expect(report.failed, describeLoad(report)).toBe(0);
    expect(run.stdout).toMatch(/\[canary\] ✗ step 1 \(10%\): p99 \d+ms is above 100ms/);
    expect(run.summary).toMatch(/p99 \d+ms is above 100ms/);
    await expectRolledBackTo(app, old, 'rolled back', run);
    expectOnlyV1After(report, reverted);
  });

  it('a release that turns bad during the cooldown is rolled back by itself', async () => {
    const app = 'canary-late';
    const old = await deployV1(app);
    const load = startClients(app);
    // Healthy through its one step (3 s after checks of about as long), failing half its requests from
    // 15 s after it started: within the 40 s cooldown.
    const started = deployV2(app, {
      env: 'FAIL_PERCENT=50\nFAULT_AFTER=15',
      'canary-steps': '50,100',
      'canary-cooldown': '40',
    });
    await seen(started, /\[canary\] Cooldown: watching \S+ at 100% for 40s/);
    const reverted = await seen(started, REVERTED);
    const run = await started.done;
    console.log(canaryLines(run));
    const report = await stopAfter(load);
    console.log(`cooldown canary: ${describeLoad(report)}`);
    expect(run.code, run.stdout).not.toBe(0);
    expect(run.stdout).toMatch(/\[canary\] Metrics OK after \d+s/);
    expect(run.stdout).toMatch(/\[canary\] ✗ cooldown: 5xx rate [\d.]+% is above 1%/);
    expect(run.summary).toMatch(/cooldown: 5xx rate [\d.]+% is above 1%/);
    await expectRolledBackTo(app, old, 'rolled back', run);
    expectOnlyV1After(report, reverted);
    for (const sample of report.timeline.filter((entry) => entry.status !== 200))
      expect(sample).toMatchObject({ status: 500, body: 'work v2 failing' });
  });

  it('SIGINT at step 2 sends all traffic back to the old release: 0 failed requests, recorded cancelled', async () => {
    const app = 'canary-cxl';
    const old = await deployV1(app);
    const load = startClients(app);
    const started = deployV2(app);
    await seen(started, /\[canary\] Step 2\/4: routing 25% traffic/);
    started.child.kill('SIGINT');
    const reverted = await seen(started, REVERTED);
    const run = await started.done;
    console.log(canaryLines(run));
    const report = await stopAfter(load);
    console.log(`cancelled canary: ${describeLoad(report)}`);
    expect(run.code, run.stdout).not.toBe(0);
    expect(report.failed, describeLoad(report)).toBe(0);
    expect(run.stdout).toContain('::warning::SIGINT: the deploy was cancelled during the canary');
    expect(run.stdout).not.toContain('[canary] Step 3/');
    await expectRolledBackTo(app, old, 'cancelled', run);
    expectOnlyV1After(report, reverted);
  });

  it('SIGINT as the last step passes (no watch waiting) still sends all traffic back: the canary does not end at 100%', async () => {
    const app = 'canary-end';
    const old = await deployV1(app);
    const load = startClients(app);
    const started = deployV2(app, { 'canary-steps': '50,100', 'canary-step-seconds': '2' });
    // Sent as the verdict is logged: the move to 100% and the end follow without a pause to abort.
    await seen(started, /\[canary\] Metrics OK after/);
    started.child.kill('SIGINT');
    const reverted = await seen(started, REVERTED);
    const run = await started.done;
    console.log(canaryLines(run));
    const report = await stopAfter(load);
    console.log(`cancelled at the end: ${describeLoad(report)}`);
    expect(run.code, run.stdout).not.toBe(0);
    expect(report.failed, describeLoad(report)).toBe(0);
    expect(run.stdout).not.toContain('[canary] ✓ Deployment complete');
    expect(run.stdout).toContain('[canary] ✗ the run was cancelled');
    await expectRolledBackTo(app, old, 'cancelled', run);
    expectOnlyV1After(report, reverted);
  });

  it('canary-cooldown-watch host: the job ends at 100%, the host rolls a late fault back by itself and tells GitHub', async () => {
    const app = 'canary-host';
    const standIn: StandIn = await startStandIn();
    try {
      const old = await deployV1(app);
      const load = startClients(app);
      const started = deployV2(
        app,
        {
          env: 'FAIL_PERCENT=50\nFAULT_AFTER=15',
          'canary-steps': '50,100',
          'canary-cooldown': '40',
          'canary-cooldown-watch': 'host',
          'canary-cooldown-token': 'ghs_cooldown_app_token_3d9f',
        },
        { GITHUB_API_URL: standIn.url },
      );
      const run = await started.done;
      console.log(canaryLines(run));
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).toMatch(
        /\[canary\] Cooldown: each host watches \S+ for 40s and rolls back by itself/,
      );
      expect(run.visible).not.toContain('ghs_cooldown_app_token_3d9f');
      const { release } = newRelease(app, old);
      // The job is over; the host watches. Wait for its verdict (the fault starts 15 s after v2 did).
      let history = releaseHistory(`${host.BATON_TEST_ROOT}/state/${app}`);
      for (let waited = 0; waited < 600 && history.outcome[release] !== 'rolled back'; waited++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        history = releaseHistory(`${host.BATON_TEST_ROOT}/state/${app}`);
      }
      const rolledBackAt = Date.now();
      const report = await stopAfter(load, 1500);
      console.log(`host-watched cooldown: ${describeLoad(report)}`);
      expect(history).toMatchObject({ current: old, outcome: { [old]: 'done', [release]: 'rolled back' } });
      expect(liveRelease(host, app)).toBe(old);
      for (const sample of report.timeline.filter((entry) => entry.status !== 200))
        expect(sample).toMatchObject({ status: 500, body: 'work v2 failing' });
      expectOnlyV1After(report, rolledBackAt + 500);
      // GitHub: in progress through the steps, success at the end of the job, failure from the host.
      const deployment = standIn.deployments.at(-1) as { id: number };
      const statuses = standIn.statuses.get(deployment.id) ?? [];
      for (let waited = 0; waited < 100 && statuses.at(-1)?.state !== 'failure'; waited++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(statuses.map((status) => status.description)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Canary Step 1\/2: routing 50% traffic → /),
          expect.stringMatching(/^Canary cooldown watched on the hosts for 40s$/),
        ]),
      );
      expect(statuses.at(-1)).toMatchObject({
        state: 'failure',
        description: expect.stringMatching(
          /^Canary cooldown rolled back on the host: 5xx rate [\d.]+% is above 1\.00%/,
        ),
      });
      expect(standIn.violations).toEqual([]);
      // The next command under the app's lock says how the watch ended.
      const next = await runAction({ ...hostInputs(host, app), 'build-args': 'VERSION=v3' }, env());
      expect(next.code, next.stdout).toBe(0);
      expect(next.stdout).toMatch(/the last cooldown watch on \S+: rolled back at \S+: 5xx rate/);
    } finally {
      await standIn.close();
    }
  });
});
