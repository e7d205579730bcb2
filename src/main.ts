import * as core from '@actions/core';
import { createFrame, type Frame } from './commands/frame';
import { deploy } from './commands/deploy';
import { destroy } from './commands/destroy';
import { plan } from './commands/plan';
import { cleanUpAfterKill } from './commands/post';
import { prunePreviews } from './commands/prune-previews';
import { rollback } from './commands/rollback';
import { status } from './commands/status';
import type { Command } from './config';
import { ConfigError, errorMessage, findCause, NothingToDo, PhaseError } from './errors';
import { GitHub } from './github';
import { readSettings } from './inputs';
import { leftInFlight } from './lifecycle/in-flight';
import { reportFailure, reportPrune, reportRemoved, reportStatus, reportSuccess } from './report/summary';
import { Secrets } from './secrets';

/** One action command run and reported: to GitHub and in the job summary. */
type Reported = (frame: Frame, github: GitHub) => Promise<void>;

const COMMANDS: Record<Command, Reported> = {
  deploy: deployOrRollback,
  rollback: deployOrRollback,
  destroy: async (frame, github) => {
    await destroy(frame);
    if (frame.config.preview) await github.reporter(frame.config).removed();
    await reportRemoved(frame.config.app, frame.config.preview !== undefined);
  },
  'prune-previews': async (frame, github) => {
    if (!github.reachable) {
      throw new ConfigError(
        'prune-previews asks GitHub which pull requests are closed: it needs a token (the default github.token, with pull-requests: read)',
        { kind: 'input', name: 'github-token' },
      );
    }
    const found = await prunePreviews(frame, {
      state: (number) => github.pullState(number),
      removed: (preview) => github.previewReporter(preview).removed(),
    });
    await reportPrune(frame.config.app, found);
  },
  plan: async (frame) => {
    await plan(frame);
  },
  status: async (frame) => reportStatus(await status(frame)),
};

export async function run(): Promise<void> {
  if (core.getState('baton-post') === 'true') return runPost();
  core.saveState('baton-post', 'true');
  const secrets = new Secrets();
  try {
    const { context, config } = readSettings(secrets);
    for (const warning of [...config.warnings, ...config.checks.warnings]) core.warning(warning);
    const github = new GitHub(config.githubToken, context, (text) => secrets.redact(text));
    await COMMANDS[config.command](createFrame(config, context, secrets), github);
  } catch (error) {
    if (error instanceof NothingToDo) return core.notice(`Baton: nothing to do: ${error.message}`);
    fail(error, secrets);
  }
}

/** A deploy or rollback, reported to GitHub (deployment, statuses, PR comment) and in the job summary. */
async function deployOrRollback(base: Frame, github: GitHub): Promise<void> {
  const { config, secrets } = base;
  const reporter = github.reporter(config);
  const frame: Frame = {
    ...base,
    progress: (description) => reporter.progress(description),
    deployment: () => reporter.deploymentRef(),
  };
  if (config.command === 'deploy') await reporter.started();
  try {
    const result = config.command === 'deploy' ? await deploy(frame) : await rollback(frame);
    if (config.command === 'rollback') await reporter.started(result.commit);
    await reporter.succeeded(result);
    await reportSuccess(result);
  } catch (error) {
    if (config.command === 'rollback' && reporter.id === undefined) await reporter.started();
    await reporter.failed(error, frame.phases);
    await reportFailure(config.app, error, frame.phases, (text) => secrets.redact(text));
    throw error;
  }
}

/** A failed phase becomes an annotation titled with the phase; bad configuration names its input. */
function fail(error: unknown, secrets: Secrets): void {
  const message = secrets.redact(errorMessage(error));
  const phase = findCause(error, PhaseError)?.phase;
  if (!phase) return core.setFailed(message);
  core.error(message, { title: `Baton: ${phase} failed` });
  process.exitCode = 1;
}

/** The post step: only cleans up after a killed deploy; it never fails the job on its own. */
async function runPost(): Promise<void> {
  // Settings are read again only when there is something to settle: a bad setting was main's error already.
  const inFlight = leftInFlight();
  if (!inFlight) return;
  const secrets = new Secrets();
  try {
    const { config, context } = readSettings(secrets);
    if (config.command === 'deploy') await cleanUpAfterKill(createFrame(config, context, secrets), inFlight);
  } catch (error) {
    if (error instanceof NothingToDo) return;
    core.warning(secrets.redact(`post-step cleanup: ${errorMessage(error)}`));
  }
}
