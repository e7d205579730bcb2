import * as github from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import * as core from '@actions/core';

export type GitHubClient = ReturnType<typeof github.getOctokit>;

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
