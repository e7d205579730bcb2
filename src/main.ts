import * as core from '@actions/core';
import { type Config, loadConfig } from './config';
import { type RunContext, readRunContext } from './config/context';
import { NothingToDo } from './config/preview';
import { canAskGitHub, createReporter, currentEvent, previewReporter, pullState } from './github';
import { ConfigError, errorMessage, findCause, PhaseError } from './errors';
import { deploy, phaseTimer } from './release/deploy';
import { destroy } from './release/destroy';
import { cleanUpAfterKill, leftInFlight } from './release/post';
import { dryRun } from './release/dry-run';
import { rollback } from './release/rollback';
import { status } from './release/status';
import { prunePreviews } from './release/previews';
import { reportFailure, reportPrune, reportRemoved, reportStatus, reportSuccess } from './report/summary';
import { redact, registerSecret } from './secrets';
import { readInWorkspace } from './workspace';
import { SETTINGS, type SettingName } from './config/settings';

const SECRET_SETTINGS = (Object.keys(SETTINGS) as SettingName[]).filter(
  (name) => SETTINGS[name].kind === 'secret',
);
/** Secret settings of KEY=VALUE lines: values are kept verbatim (trailing spaces included). */
const SECRET_LISTS = ['secrets', 'preview-secrets', 'build-secrets'];

export async function run(): Promise<void> {
  if (core.getState('baton-post') === 'true') return runPost();
  core.saveState('baton-post', 'true');
  try {
    const { context, config } = readSettings();
    for (const value of Object.values({ ...config.secrets, ...config.build.secrets })) registerSecret(value);
    registerSecret(config.registry.password);
    for (const warning of [...config.warnings, ...config.checks.warnings]) core.warning(warning);
    switch (config.command) {
      case 'deploy':
      case 'rollback':
        await release(config, context);
        break;
      case 'destroy':
        await destroy(config, context);
        if (config.preview) await createReporter(config, context).removed();
        await reportRemoved(config.app, config.preview !== undefined);
        break;
      case 'prune-previews':
        await removeClosedPreviews(config, context);
        break;
      case 'plan':
        await dryRun(config, context);
        break;
      case 'status':
        await reportStatus(await status(config));
        break;
    }
  } catch (error) {
    if (error instanceof NothingToDo) return core.notice(`Baton: nothing to do: ${error.message}`);
    fail(error);
  }
}

/** Removes previews whose pull requests are closed (asking GitHub), reporting each removal there. */
async function removeClosedPreviews(config: Config, context: RunContext): Promise<void> {
  if (!canAskGitHub(context)) {
    throw new ConfigError(
      'prune-previews asks GitHub which pull requests are closed: it needs a token (the default github.token, with pull-requests: read)',
      { kind: 'input', name: 'github-token' },
    );
  }
  const found = await prunePreviews(config, context, phaseTimer().timed, {
    pullState: (number) => pullState(context, number),
    removed: (preview) => previewReporter(preview, context).removed(),
  });
  await reportPrune(config.app, found);
}

/** A deploy or rollback, reported to GitHub (deployment, statuses, PR comment) and in the job summary. */
async function release(config: Config, context: RunContext): Promise<void> {
  const timer = phaseTimer();
  const reporter = createReporter(config, context);
  if (config.command === 'deploy') await reporter.started();
  try {
    const result =
      config.command === 'deploy'
        ? await deploy(config, context, timer)
        : await rollback(config, context, timer);
    if (config.command === 'rollback') await reporter.started(result.commit);
    await reporter.succeeded(result);
    await reportSuccess(result);
  } catch (error) {
    if (config.command === 'rollback' && reporter.id === undefined) await reporter.started();
    await reporter.failed(error, timer.phases);
    await reportFailure(config.app, error, timer.phases);
    throw error;
  }
}

/** A failed phase becomes an annotation titled with the phase; bad configuration names its input. */
function fail(error: unknown): void {
  const message = redact(errorMessage(error));
  const phase = findCause(error, PhaseError)?.phase;
  if (!phase) return core.setFailed(message);
  core.error(message, { title: `Baton: ${phase} failed` });
  process.exitCode = 1;
}

/** The post step: only cleans up after a killed deploy; it never fails the job on its own. */
async function runPost(): Promise<void> {
  // Settings are read again only when there is something to settle: a bad setting was main's error already.
  if (!leftInFlight()) return;
  try {
    const { config, context } = readSettings();
    if (config.command === 'deploy') await cleanUpAfterKill(config, context);
  } catch (error) {
    if (error instanceof NothingToDo) return;
    core.warning(redact(`post-step cleanup: ${errorMessage(error)}`));
  }
}

/** Masks the secret inputs, then reads and validates every setting (inputs and baton.yml). */
function readSettings(): { context: RunContext; config: Config } {
  maskSecretInputs();
  const context = readRunContext(process.env);
  const config = loadConfig({
    getInput: (name) => readInput(name),
    readFile: (path) => readInWorkspace(context.workspace, path),
    context,
    event: currentEvent(context),
  });
  return { context, config };
}

/** An input, trimmed, except KEY=VALUE secret lists: a secret's trailing spaces are part of it. */
function readInput(name: string): string {
  return core.getInput(name, { trimWhitespace: !SECRET_LISTS.includes(name) });
}

/** Masks every secret setting (SETTINGS kind secret): the whole value, each line, each line's value. */
function maskSecretInputs(): void {
  for (const name of SECRET_SETTINGS) registerSecret(readInput(name));
  for (const name of SECRET_LISTS) {
    for (const line of readInput(name).split(/\r?\n/)) {
      registerSecret(line.slice(line.indexOf('=') + 1));
    }
  }
}
