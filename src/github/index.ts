import * as github from '@actions/github';
import * as core from '@actions/core';
import { appUrl, type Config } from '../config';
import type { RunContext } from '../config/context';
import { type EventInfo, readEvent } from '../config/event';
import type { Redact } from '../secrets';
import { createClient, failedCallWarning, type GitHubClient } from './client';
import { Reporter } from './reporter';

/** The event that started the workflow (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH). */
export function currentEvent(context: RunContext): EventInfo {
  return readEvent(github.context.eventName, github.context.payload as Record<string, unknown>, context);
}

/**
 * GitHub for one run: one client for the run's token (github-token), or none without a token or a
 * repository, in which case nothing is reported and nothing can be asked.
 */
export class GitHub {
  private readonly client: GitHubClient | undefined;

  constructor(
    token: string,
    private readonly context: RunContext,
    private readonly redact: Redact,
  ) {
    this.client = token && context.repository ? createClient(token) : undefined;
  }

  /** Whether GitHub can be asked anything in this run. */
  get reachable(): boolean {
    return this.client !== undefined;
  }

  /** The GitHub side of a deploy, for the event that started the workflow; silent without a client. */
  reporter(config: Config, event = currentEvent(this.context)): Reporter {
    const settings = {
      app: config.app,
      environment: config.environment,
      url: appUrl(config),
      transient: config.preview !== undefined,
      production: config.environment === 'production' && !config.preview,
    };
    return new Reporter(this.client, settings, event, this.context, this.redact);
  }

  /** A reporter for a preview found on the hosts rather than named by the event (prune-previews). */
  previewReporter(preview: Config): Reporter {
    const number = preview.preview?.number ?? 0;
    const pullRequest = { number, headSha: '', headRef: '', headRepo: '', fork: false };
    return this.reporter(preview, { name: 'prune-previews', action: '', sha: '', pullRequest });
  }

  /** Asks whether a pull request is still open; 'unknown' (with a warning) when GitHub cannot tell. */
  async pullState(number: number): Promise<'open' | 'closed' | 'unknown'> {
    const [owner = '', repo = ''] = this.context.repository.split('/');
    try {
      const { data } = await (this.client as GitHubClient).rest.pulls.get({
        owner,
        repo,
        pull_number: number,
      });
      return data.state === 'closed' ? 'closed' : 'open';
    } catch (error) {
      const warning = failedCallWarning(
        `read pull request #${number}`,
        'pull-requests: read',
        error,
        'Its preview is kept.',
      );
      core.warning(this.redact(warning));
      return 'unknown';
    }
  }
}
