import * as github from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import * as core from '@actions/core';
import { errorMessage } from '../errors';

export type GitHubClient = ReturnType<typeof github.getOctokit>;

/** The warning for a GitHub call that failed after its retries: the status, and the permission a 403/404 points to. */
export function failedCallWarning(
  what: string,
  permission: string,
  error: unknown,
  consequence: string,
): string {
  const status = (error as { status?: number }).status;
  const hint = status === 403 || status === 404 ? ` The workflow needs \`permissions: ${permission}\`.` : '';
  return `Could not ${what} on GitHub (${status ?? 'no answer'}: ${errorMessage(error)}).${hint} ${consequence}`;
}

/**
 * An Octokit for GITHUB_API_URL with the retries and rate-limit handling GitHub recommends: server
 * errors are retried with back-off; on a rate limit it waits as told, once.
 */
export function createClient(token: string): GitHubClient {
  return github.getOctokit(
    token,
    {
      retry: { retries: 2 },
      throttle: {
        onRateLimit: (
          retryAfter: number,
          options: { method: string; url: string },
          _octokit: unknown,
          retryCount: number,
        ) => {
          core.info(`GitHub rate limit on ${options.method} ${options.url}; retrying in ${retryAfter}s`);
          return retryCount < 1;
        },
        onSecondaryRateLimit: (
          retryAfter: number,
          options: { method: string; url: string },
          _octokit: unknown,
          retryCount: number,
        ) => {
          core.info(
            `GitHub secondary rate limit on ${options.method} ${options.url}; retrying in ${retryAfter}s`,
          );
          return retryCount < 1;
        },
      },
    },
    retry,
    throttling,
  );
}
