import * as github from '@actions/github';
import * as core from '@actions/core';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { createClient, failedCallWarning, type GitHubClient } from './client';
import { type EventInfo, readEvent } from './event';
import { Reporter } from './reporter';

/** The event that started the workflow (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH). */
export function currentEvent(context: RunContext): EventInfo {
  return readEvent(github.context.eventName, github.context.payload as Record<string, unknown>, context);
}

/** The GitHub side of a deploy, for the event that started the workflow; silent without a token. */
export function createReporter(config: Config, context: RunContext, event = currentEvent(context)): Reporter {
  return new Reporter(
    client(context),
    {
      app: config.app,
      environment: config.environment,
      url: `http://${config.domain}`,
      transient: config.preview !== undefined,
      production: config.environment === 'production' && !config.preview,
    },
    event,
    context,
  );
}

/** A reporter for a preview found on the hosts rather than named by the event (prune-previews). */
export function previewReporter(preview: Config, context: RunContext): Reporter {
  const number = preview.preview?.number ?? 0;
  const pullRequest = { number, headSha: '', headRef: '', headRepo: '', fork: false };
  return createReporter(preview, context, { name: 'prune-previews', action: '', sha: '', pullRequest });
}

/** Asks GitHub whether a pull request is still open; 'unknown' (with a warning) when it cannot tell. */
export async function pullState(context: RunContext, number: number): Promise<'open' | 'closed' | 'unknown'> {
  const [owner = '', repo = ''] = context.repository.split('/');
  try {
    const { data } = await (client(context) as GitHubClient).rest.pulls.get({
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
    core.warning(warning);
    return 'unknown';
  }
}

/** Whether GitHub can be asked anything in this run (a token and a repository). */
export function canAskGitHub(context: RunContext): boolean {
  return client(context) !== undefined;
}

let clients: { token: string; client: GitHubClient } | undefined;

function client(context: RunContext): GitHubClient | undefined {
  const token = core.getInput('github-token');
  if (!token || !context.repository) return undefined;
  if (clients?.token !== token) clients = { token, client: createClient(token) };
  return clients.client;
}
