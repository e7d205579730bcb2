import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from './host';

export interface ActionRun {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** What the step saved with core.saveState, as the runner hands it to the post step (STATE_*). */
  state: Record<string, string>;
  summary: string;
  /** Everything the run wrote that a person could see (stdout without ::add-mask:: commands, stderr, summary, outputs). */
  visible: string;
}

export interface StartedAction {
  child: ChildProcess;
  /** Resolves when the output so far matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<ActionRun>;
}

/** Runs the bundle the way the runner does: node dist/index.js with INPUT_*, GITHUB_* and the command files. */
export function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Promise<ActionRun> {
  return startAction(inputs, env, files).done;
}

export function startAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): StartedAction {
  const dir = mkdtempSync(join(tmpdir(), 'baton-run-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  const stateFile = join(dir, 'state');
  for (const file of [outputFile, summaryFile, stateFile]) writeFileSync(file, '');
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([key, value]) => [`INPUT_${key.toUpperCase()}`, value]),
  );
  const child = spawn(process.execPath, [resolve(ROOT, 'dist/index.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOCKER_HOST: process.env.DOCKER_HOST,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_ACTOR: 'octocat',
      GITHUB_RUN_ID: '1',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_WORKSPACE: dir,
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_STATE: stateFile,
      ...inputEnv,
      ...env,
    },
  });
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
  const done = new Promise<ActionRun>((finish) =>
    child.on('close', (exitCode, signal) => {
      const outputs = parseFileCommands(readFileSync(outputFile, 'utf8'));
      const state = parseFileCommands(readFileSync(stateFile, 'utf8'));
      const summary = readFileSync(summaryFile, 'utf8');
      const shown = stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
      const visible = [shown, stderr, summary, JSON.stringify(outputs)].join('\n');
      finish({ code: exitCode ?? -1, signal, stdout, stderr, outputs, state, summary, visible });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolveWait, reject) => {
      if (pattern.test(stdout)) return resolveWait();
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in output:\n${stdout}`)), timeoutMs);
      watchers.push({ pattern, resolve: () => (clearTimeout(timer), resolveWait()) });
    });
  return { child, waitFor, done };
}

/** The runner's post step gets the saved state as STATE_<name> variables. */
export function postEnv(state: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
}

function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const pattern = /^(.+?)<<(\S+)\n([\s\S]*?)\n?\2$/gm;
  for (const match of text.matchAll(pattern)) values[match[1] as string] = match[3] as string;
  return values;
}
