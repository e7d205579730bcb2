import * as core from '@actions/core';
import { describeCheck } from '../checks/model';
import { ChecksFailedError } from '../checks/run';
import { type RunContext, runUrl } from '../config/context';
import { errorMessage, findCause, PhaseError } from '../errors';
import type { DeployResult } from '../commands/result';
import type { Redact } from '../secrets';
import { failedCallWarning, type GitHubClient } from './client';
import { type CommentFacts, marker, renderComment } from './comment';
import type { EventInfo } from '../config/event';
import { CanaryRolledBack } from '../traffic/canary/report';
import type { DeploymentRef } from '../traffic/types';

export interface ReportSettings {
  app: string;
  environment: string;
  url: string;
  transient: boolean;
  production: boolean;
}

type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/**
 * Tells GitHub about a deploy: a deployment with statuses that follow the phases, and on pull requests
 * one sticky comment per app. Never breaks a deploy: a failing call is retried by the client, then
 * becomes a warning naming the permission it needs.
 */
export class Reporter {
  private deploymentId?: number;
  private readonly repo: { owner: string; repo: string };

  constructor(
    private readonly client: GitHubClient | undefined,
    private readonly settings: ReportSettings,
    private readonly event: EventInfo,
    private readonly context: RunContext,
    private readonly redact: Redact,
  ) {
    const [owner = '', repo = ''] = context.repository.split('/');
    this.repo = { owner, repo };
  }

  get id(): number | undefined {
    return this.deploymentId;
  }

  /** Creates the deployment (for `sha`, default the event's commit) and marks it in progress. */
  async started(sha = this.event.sha): Promise<void> {
    const created = await this.call('create a deployment', 'deployments: write', (client) =>
      client.rest.repos.createDeployment({
        ...this.repo,
        ref: sha,
        environment: this.settings.environment,
        transient_environment: this.settings.transient,
        production_environment: this.settings.production,
        required_contexts: [],
        auto_merge: false,
        description: description(this.settings.app),
      }),
    );
    const data = created?.data as { id?: number } | undefined;
    this.deploymentId = data?.id;
    if (this.deploymentId) core.setOutput('deployment-id', String(this.deploymentId));
    await this.status('in_progress', 'Deploying');
  }

  /** This deployment's statuses endpoint, for a host that reports to it itself (a cooldown watch). */
  deploymentRef(): DeploymentRef | undefined {
    if (!this.deploymentId) return undefined;
    const api = (this.context.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    const { owner, repo } = this.repo;
    return {
      statusesUrl: `${api}/repos/${owner}/${repo}/deployments/${this.deploymentId}/statuses`,
      environment: this.settings.environment,
      logUrl: runUrl(this.context),
    };
  }

  /** Where the deploy is now (e.g. a canary step), as the in-progress status's description. */
  async progress(description: string): Promise<void> {
    await this.status('in_progress', description);
  }

  async succeeded(result: DeployResult): Promise<void> {
    await this.status('success', `Release ${result.plan.release} is live`);
    // GitHub's auto_inactive skips transient environments (previews): retire their older deployments here.
    if (this.settings.transient) await this.deactivate('success', this.deploymentId);
    await this.comment({
      ...this.facts(true),
      release: result.plan.release,
      previousRelease: result.previousRelease,
      phases: result.phases,
      ...(result.canary ? { canary: result.canary } : {}),
    });
  }

  async failed(error: unknown, phases: DeployResult['phases'] = []): Promise<void> {
    const phase = findCause(error, PhaseError)?.phase ?? 'deploy';
    const checks = findCause(error, ChecksFailedError);
    const canary = findCause(error, CanaryRolledBack)?.report;
    const failedCheck = checks?.results.find((result) => !result.ok);
    const reason = this.redact(errorMessage(error));
    const infrastructure = ['Connect', 'Build', 'Lock', 'Pull'].includes(phase);
    await this.status(infrastructure ? 'error' : 'failure', `${phase} failed: ${reason}`);
    await this.comment({
      ...this.facts(false),
      phases,
      failure: {
        phase,
        reason,
        check: failedCheck
          ? `${failedCheck.check.name} (${failedCheck.check.origin}) expected ${describeCheck(failedCheck.check)}, got ${failedCheck.got}`
          : undefined,
        containerLog: checks?.containerLog,
      },
      ...(canary ? { canary } : {}),
    });
  }

  /** The preview was removed: its deployments become inactive and the PR comment says so. */
  async removed(): Promise<void> {
    await this.deactivate('any');
    await this.comment({ ...this.facts(true), removed: true });
  }

  /**
   * Marks this app's deployments to the environment inactive: those whose latest status is success, or
   * all that are not inactive yet ('any').
   */
  private async deactivate(which: 'success' | 'any', except?: number): Promise<void> {
    const mine = await this.call('list the deployments', 'deployments: read', (client) =>
      client.paginate(client.rest.repos.listDeployments, {
        ...this.repo,
        environment: this.settings.environment,
        per_page: 100,
      }),
    );
    for (const deployment of mine ?? []) {
      if (deployment.id === except || deployment.description !== description(this.settings.app)) continue;
      const latest = await this.call('read a deployment status', 'deployments: read', (client) =>
        client.rest.repos.listDeploymentStatuses({ ...this.repo, deployment_id: deployment.id, per_page: 1 }),
      );
      const state = latest?.data[0]?.state;
      if (state === 'inactive' || (which === 'success' && state !== 'success')) continue;
      await this.status('inactive', 'Replaced or removed', deployment.id);
    }
  }

  private facts(ok: boolean): CommentFacts {
    return {
      app: this.settings.app,
      ok,
      url: this.settings.url,
      commit: this.event.sha,
      phases: [],
      runUrl: runUrl(this.context),
    };
  }

  private async status(state: DeploymentState, description: string, id = this.deploymentId): Promise<void> {
    const deploymentId = id;
    if (!deploymentId) return;
    await this.call(`set the deployment status to ${state}`, 'deployments: write', (client) =>
      client.rest.repos.createDeploymentStatus({
        ...this.repo,
        deployment_id: deploymentId,
        state,
        description: this.redact(description).slice(0, 140),
        log_url: runUrl(this.context),
        ...(state === 'success' ? { environment_url: this.settings.url } : {}),
        environment: this.settings.environment,
        auto_inactive: !this.settings.transient,
      }),
    );
  }

  /**
   * Creates or updates this app's sticky comment on the pull request: the one with its marker that the
   * token's own user wrote (anyone can paste the marker into a comment of theirs).
   */
  async comment(facts: CommentFacts): Promise<void> {
    const pr = this.event.pullRequest;
    if (!pr) return;
    const body = renderComment(facts, this.redact);
    await this.call('comment on the pull request', 'pull-requests: write', async (client) => {
      const comments = await client.paginate(client.rest.issues.listComments, {
        ...this.repo,
        issue_number: pr.number,
        per_page: 100,
      });
      const author = await commentAuthor(client);
      const mine = comments.find(
        (comment) => comment.user?.login === author && comment.body?.includes(marker(this.settings.app)),
      );
      if (mine) return client.rest.issues.updateComment({ ...this.repo, comment_id: mine.id, body });
      return client.rest.issues.createComment({ ...this.repo, issue_number: pr.number, body });
    });
  }

  private async call<T>(
    what: string,
    permission: string,
    work: (client: GitHubClient) => Promise<T>,
  ): Promise<T | undefined> {
    if (!this.client) return undefined;
    try {
      return await work(this.client);
    } catch (error) {
      core.warning(
        this.redact(failedCallWarning(what, permission, error, 'The deploy itself is not affected.')),
      );
      return undefined;
    }
  }
}

/**
 * Who the token comments as: its user (GET /user) for a personal token; an installation token such as
 * GITHUB_TOKEN cannot ask (403) and comments as github-actions[bot].
 */
async function commentAuthor(client: GitHubClient): Promise<string> {
  try {
    return (await client.rest.users.getAuthenticated()).data.login;
  } catch {
    return ACTIONS_BOT;
  }
}

const ACTIONS_BOT = 'github-actions[bot]';

function description(app: string): string {
  return `Baton: ${app}`.slice(0, 140);
}
