import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writePayload } from './github-payloads';
import { readTestHost, ROOT } from './host';
import { ACTION, inputVariables, parseFileCommands, postRuns } from './runner';

export interface StepRun {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ActionRun extends StepRun {
  outputs: Record<string, string>;
  /** What the step saved with core.saveState, as the runner hands it to the post step (STATE_*). */
  state: Record<string, string>;
  summary: string;
  /** The post step, when the runner ran it (post-if), after main. */
  post?: StepRun;
  /** Everything the run wrote that a person could see (stdout without ::add-mask:: commands, stderr, summary, outputs), post step included. */
  visible: string;
}

export interface StartedAction {
  child: ChildProcess;
  /** Resolves when the main step's output so far matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when main (and, unless told otherwise, the post step) has ended. */
  done: Promise<ActionRun>;
}

export interface RunOptions {
  /** false: the runner died with the main step (its VM is gone), so no post step runs. */
  post?: boolean;
  /** false: the job has no actions/checkout step; the workspace is empty (except `files`). */
  checkout?: boolean;
  /** The value of ${{ github.token }}. */
  githubToken?: string;
}

/** The token of the runner's GitHub (the stand-in from the e2e setup) when a test names no other. */
export const RUNNER_TOKEN = 'ghs_runner_job_token_5c1e7a';

/**
 * Runs the step the way actions/runner does: `node dist/index.js` with every action.yml default as
 * INPUT_* (then the inputs given), the GITHUB_* variables and files, in a workspace holding a checkout
 * of the test app (plus `files`), against the GitHub stand-in; then the post step (post-if), with the
 * state main saved.
 */
export function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
  options: RunOptions = {},
): Promise<ActionRun> {
  return startAction(inputs, env, files, options).done;
}

export function startAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
  options: RunOptions = {},
): StartedAction {
  const job = createJob(files, options);
  const stepEnv = {
    ...job.env,
    ...inputVariables(inputs, { 'github.token': options.githubToken ?? RUNNER_TOKEN }),
    ...env,
  };
  const main = spawnStep(ACTION.runs.main, stepEnv);
  const done = main.done.then(async (result) => {
    const outputs = parseFileCommands(readFileSync(job.files.output, 'utf8'));
    const state = parseFileCommands(readFileSync(job.files.state, 'utf8'));
    const summary = readFileSync(job.files.summary, 'utf8');
    const post =
      options.post !== false && postRuns(result.code === 0)
        ? await spawnStep(ACTION.runs.post as string, { ...stepEnv, ...postEnv(state) }).done
        : undefined;
    const shown = [result, ...(post ? [post] : [])].flatMap((step) => [unmasked(step.stdout), step.stderr]);
    const visible = [...shown, summary, JSON.stringify(outputs)].join('\n');
    return { ...result, outputs, state, summary, post, visible };
  });
  return { child: main.child, waitFor: main.waitFor, done };
}

/** Runs only the post step, as the runner would after a main step that saved `state`. */
export function runPost(
  inputs: Record<string, string>,
  env: Record<string, string>,
  state: Record<string, string>,
  options: RunOptions = {},
): Promise<StepRun> {
  const job = createJob({}, options);
  const stepEnv = {
    ...job.env,
    ...inputVariables(inputs, { 'github.token': options.githubToken ?? RUNNER_TOKEN }),
    ...env,
    ...postEnv(state),
  };
  return spawnStep(ACTION.runs.post as string, stepEnv).done;
}

/** The runner's post step gets the saved state as STATE_<name> variables. */
export function postEnv(state: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
}

/** A job's directories, file commands and GITHUB_* variables (a push to main of acme/web by default). */
function createJob(files: Record<string, string>, options: RunOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-run-'));
  const workspace = join(dir, 'workspace');
  const temp = join(dir, 'temp');
  mkdirSync(temp, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  if (options.checkout !== false) cpSync(readTestHost().TEST_APP_CONTEXT, workspace, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, name)), { recursive: true });
    writeFileSync(join(workspace, name), content);
  }
  const commands = { output: 'output', summary: 'summary', state: 'state', env: 'env', path: 'path' };
  const paths = Object.fromEntries(
    Object.entries(commands).map(([key, name]) => [key, join(temp, `_runner_file_commands_${name}`)]),
  ) as Record<keyof typeof commands, string>;
  for (const file of Object.values(paths)) writeFileSync(file, '');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DOCKER_HOST: process.env.DOCKER_HOST ?? '',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_ACTOR: 'octocat',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'deploy',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: process.env.BATON_TEST_GITHUB_API ?? 'http://127.0.0.1:9',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: writePayload(temp, 'push'),
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: temp,
    RUNNER_OS: 'Linux',
    GITHUB_OUTPUT: paths.output,
    GITHUB_STEP_SUMMARY: paths.summary,
    GITHUB_STATE: paths.state,
    GITHUB_ENV: paths.env,
    GITHUB_PATH: paths.path,
  };
  return { dir, workspace, files: paths, env };
}

/**
 * Where the step's script (dist/index.js) is read from: the repository, or BATON_E2E_ACTION_ROOT, a
 * directory with a dist/ of its own (e.g. `npx ncc build src/index.ts -o DIR/dist`, to run an e2e
 * file against src/ without touching the committed bundle).
 */
const ACTION_ROOT = process.env.BATON_E2E_ACTION_ROOT || ROOT;

function spawnStep(script: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [resolve(ACTION_ROOT, script)], { cwd: env.GITHUB_WORKSPACE, env });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
    for (const watcher of watchers.filter((entry) => entry.pattern.test(stdout))) {
      watcher.resolve();
      watchers.splice(watchers.indexOf(watcher), 1);
    }
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<StepRun>((finish) =>
    child.on('close', (exitCode, signal) => finish({ code: exitCode ?? -1, signal, stdout, stderr })),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolveWait, reject) => {
      if (pattern.test(stdout)) return resolveWait();
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in output:\n${stdout}`)), timeoutMs);
      watchers.push({ pattern, resolve: () => (clearTimeout(timer), resolveWait()) });
    });
  return { child, done, waitFor };
}

function unmasked(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}
