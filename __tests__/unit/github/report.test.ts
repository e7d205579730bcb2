import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/config/context';
import { marker, renderComment } from '../../../src/github/comment';
import { readEvent } from '../../../src/config/event';
import { Secrets } from '../../../src/secrets';

const secrets = new Secrets();
const redact = (text: string) => secrets.redact(text);

const context: RunContext = {
  sha: 'a'.repeat(40),
  ref: 'refs/heads/main',
  actor: 'octocat',
  repository: 'acme/web',
  serverUrl: 'https://github.com',
  runId: '42',
  workspace: '/tmp',
  runnerTemp: '/tmp',
};

describe('readEvent', () => {
  it('deploys the PR head on pull requests and tells a fork apart', () => {
    const payload = {
      action: 'synchronize',
      pull_request: {
        number: 12,
        head: { sha: 'b'.repeat(40), ref: 'feature/x', repo: { full_name: 'someone/web' } },
        base: { repo: { full_name: 'acme/web' } },
      },
    };
    expect(readEvent('pull_request', payload, context)).toEqual({
      name: 'pull_request',
      action: 'synchronize',
      sha: 'b'.repeat(40),
      pullRequest: {
        number: 12,
        headSha: 'b'.repeat(40),
        headRef: 'feature/x',
        headRepo: 'someone/web',
        fork: true,
      },
    });
  });

  it('counts a PR whose head repository was deleted as a fork, and a same-repo PR as none', () => {
    const pr = (head: unknown) => ({
      pull_request: { number: 3, head, base: { repo: { full_name: 'acme/web' } } },
    });
    const deleted = readEvent('pull_request_target', pr({ sha: 'c'.repeat(40), repo: null }), context);
    expect(deleted.pullRequest?.fork).toBe(true);
    const same = readEvent('pull_request', pr({ repo: { full_name: 'acme/web' } }), context);
    expect(same.pullRequest?.fork).toBe(false);
  });

  it('deploys the workflow commit for other events, without a pull request', () => {
    for (const name of ['push', 'workflow_dispatch', 'release', 'schedule']) {
      expect(readEvent(name, {}, context)).toEqual({ name, action: '', sha: context.sha });
    }
  });
});

describe('renderComment', () => {
  const base = {
    app: 'web',
    ok: true,
    url: 'http://web.example.com',
    commit: 'c'.repeat(40),
    release: '20261123-101500-ccccccc',
    previousRelease: '20261122-090000-bbbbbbb',
    phases: [{ name: 'Checks', seconds: 1.234 }],
    runUrl: 'https://github.com/acme/web/actions/runs/42',
  };

  it('starts with the marker that finds it again, and has the facts of the deploy', () => {
    const body = renderComment(base, redact);
    expect(body.startsWith(marker('web'))).toBe(true);
    expect(body).toContain('| URL | http://web.example.com |');
    expect(body).toContain('`ccccccc`');
    expect(body).toContain('Checks 1.2s');
    expect(body).toContain('Roll back: release `20261122-090000-bbbbbbb`');
  });

  it('on failure shows the reason, the failing check and the container output, without secrets', () => {
    secrets.register('s3cr3t-in-the-log');
    const body = renderComment(
      {
        ...base,
        ok: false,
        failure: {
          phase: 'Checks',
          reason: 'check-1 failed',
          check: 'check-1 (CHECKS:3) expected http://localhost/ => "ok", got HTTP 500',
          containerLog: 'booting\nusing token s3cr3t-in-the-log\n```boom```',
        },
      },
      redact,
    );
    expect(body).toContain('deploy failed');
    expect(body).toContain('**Failing check:** check-1 (CHECKS:3)');
    expect(body).toContain('using token ***');
    expect(body).not.toContain('s3cr3t-in-the-log');
    expect(body.match(/```/g)).toHaveLength(2);
  });

  it('shows a canary rollback: why, then each step with its figures (one line per host with several)', () => {
    const traffic = (release: string, requests: number, errors: number, p99Ms: number) => ({
      release,
      requests,
      errors,
      p50Ms: 2,
      p99Ms,
      firstAt: 0,
      lastAt: 1,
    });
    const body = renderComment(
      {
        ...base,
        ok: false,
        failure: { phase: 'Canary', reason: 'rolled back' },
        canary: {
          release: 'new',
          old: 'old',
          rolledBack: 'step 2 (25%): 5xx rate 20% is above 1%',
          steps: [
            {
              percent: 10,
              cooldown: false,
              seconds: 60,
              outcome: 'passed',
              fresh: traffic('new', 100, 0, 40),
              old: traffic('old', 900, 0, 35),
              hosts: [
                { host: 'a', fresh: traffic('new', 60, 0, 40), usage: [] },
                { host: 'b', fresh: traffic('new', 40, 0, 30), usage: [] },
              ],
              errorSeries: [0, 0],
              p99Series: [30, 40],
            },
            {
              percent: 25,
              cooldown: false,
              seconds: 20,
              outcome: 'failed',
              reason: '5xx rate 20% is above 1%',
              fresh: traffic('new', 250, 50, 41),
              hosts: [],
              errorSeries: [0.1, 0.2],
              p99Series: [41, 41],
            },
          ],
        },
      },
      redact,
    );
    expect(body).toContain('**Canary rolled back** to `old`: step 2 (25%): 5xx rate 20% is above 1%');
    expect(body).toContain('| 10% | 60s | 100 req, 0.00% 5xx, p99 40 ms | 900 req, 0.00% 5xx, p99 35 ms |');
    expect(body).toContain('| ↳ a | | 60 req, 0.00% 5xx, p99 40 ms | no requests |');
    expect(body).toContain(
      '| 25% | 20s | 250 req, 20.00% 5xx, p99 41 ms | no requests |  | ▅█ / ██ | ❌ rolled back: 5xx rate 20% is above 1% |',
    );
  });

  it('a different app gets a different marker', () => {
    expect(marker('web')).not.toBe(marker('api'));
  });
});
