/** The facts of the workflow run that a deploy depends on, read from the runner's GITHUB_* variables. */
export interface RunContext {
  sha: string;
  ref: string;
  actor: string;
  repository: string;
  serverUrl: string;
  /** GITHUB_API_URL (for what the hosts send GitHub themselves). */
  apiUrl?: string;
  runId: string;
  workspace: string;
  runnerTemp: string;
}

export function readRunContext(env: NodeJS.ProcessEnv): RunContext {
  return {
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    actor: env.GITHUB_ACTOR ?? '',
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    runId: env.GITHUB_RUN_ID ?? '',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    runnerTemp: env.RUNNER_TEMP ?? '',
  };
}

export function runUrl(context: RunContext): string {
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`;
}
