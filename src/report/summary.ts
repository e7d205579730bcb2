import * as core from '@actions/core';
import { describeCheck } from '../checks/model';
import { attemptText, ChecksFailedError } from '../checks/run';
import { errorMessage, findCause, PhaseError } from '../errors';
import type { PreviewFound } from '../commands/prune-previews';
import type { DeployResult } from '../commands/result';
import { type HostStatus, historyRows } from '../commands/status';
import type { Redact } from '../secrets';
import { CanaryRolledBack, canarySection } from '../traffic/canary/report';

/** Outputs and the job summary of a successful deploy or rollback. */
export async function reportSuccess(result: DeployResult): Promise<void> {
  const { plan, image, phases } = result;
  core.setOutput('url', plan.url);
  core.setOutput('image', image);
  core.setOutput('digest', /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1] ?? '');
  core.setOutput('release', plan.release);
  core.setOutput('previous-release', result.previousRelease ?? '');
  core.info(`Deployed ${plan.app} release ${plan.release} to ${plan.url}`);
  const summary = core.summary
    .addHeading(`Deployed ${plan.app}`, 3)
    .addTable([
      [
        { data: 'Release', header: true },
        { data: 'Image', header: true },
        { data: 'URL', header: true },
      ],
      [plan.release, image, plan.url],
    ])
    .addTable([
      [
        { data: 'Phase', header: true },
        { data: 'Time', header: true },
      ],
      ...phases.map((entry) => [entry.name, `${entry.seconds.toFixed(2)}s`]),
    ])
    .addRaw(rollbackHint(result), true);
  if (result.canary) summary.addHeading('Canary', 4).addRaw(`\n${canarySection(result.canary)}\n`, true);
  summary
    .addHeading('Checks', 4)
    .addRaw(checksSummary(result), true)
    .addList(plan.hosts.map((host) => `${host.user}@${host.host}:${host.port}`));
  await write(summary);
}

function checksSummary({ plan, checks }: DeployResult): string {
  const warnings = plan.checks.warnings.map((warning) => `> [!WARNING]\n> ${warning}\n`).join('\n');
  if (plan.checks.suite.source === 'skipped') return warnings;
  const rows = checks.map(({ check, ok, attempt, got, elapsedMs }) => {
    const outcome = `${ok ? 'passed' : 'failed'} on attempt ${attemptText(check, attempt)} in ${(elapsedMs / 1000).toFixed(2)}s`;
    return `| ${check.name} | ${check.origin} | ${escape(describeCheck(check))} | ${outcome} | ${escape(got)} |`;
  });
  const source = plan.checks.suite.file ?? plan.checks.suite.source;
  return `${warnings}\nFrom ${source}, timing ${plan.checks.timing}.\n\n| Check | Declared in | Expects | Result | Got |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export async function reportStatus(hosts: HostStatus[]): Promise<void> {
  const first = hosts[0];
  core.setOutput('release', first?.history.current ?? '');
  const summary = core.summary.addHeading('Releases', 3);
  for (const { host, history } of hosts) {
    summary.addHeading(`${host}: current ${history.current ?? '(none)'}`, 4).addTable([
      ['Release', 'Outcome', 'Image', 'Commit', 'Actor', 'Started', 'Finished'].map((data) => ({
        data,
        header: true,
      })),
      ...historyRows(history),
    ]);
  }
  await write(summary);
}

function rollbackHint({ previousRelease, retained }: DeployResult): string {
  const lines: string[] = [];
  if (previousRelease)
    lines.push(`\nPrevious release: \`${previousRelease}\` (roll back with \`command: rollback\`).`);
  if (retained?.length) lines.push(`\nKept for rollback: ${retained.map((id) => `\`${id}\``).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** The job summary of a failed deploy: what failed, where, the failing check and the phases done. */
export async function reportFailure(
  app: string,
  error: unknown,
  phases: DeployResult['phases'],
  redact: Redact,
): Promise<void> {
  const phase = findCause(error, PhaseError)?.phase ?? 'deploy';
  const checks = findCause(error, ChecksFailedError);
  const rows = (checks?.results ?? []).map(({ check, ok, attempt, got }) => [
    check.name,
    check.origin,
    describeCheck(check),
    `${ok ? 'passed' : 'failed'} on attempt ${attemptText(check, attempt)}`,
    got,
  ]);
  const summary = core.summary
    .addHeading(`${app}: ${phase} failed`, 3)
    .addCodeBlock(redact(errorMessage(error)))
    .addTable([
      [
        { data: 'Phase', header: true },
        { data: 'Time', header: true },
      ],
      ...phases.map((entry) => [entry.name, `${entry.seconds.toFixed(2)}s`]),
    ]);
  if (rows.length) {
    summary
      .addHeading('Checks', 4)
      .addTable([
        ['Check', 'Declared in', 'Expects', 'Result', 'Got'].map((data) => ({ data, header: true })),
        ...rows.map((row) => row.map((cell) => redact(cell))),
      ]);
  }
  const canary = findCause(error, CanaryRolledBack)?.report;
  if (canary) summary.addHeading('Canary', 4).addRaw(`\n${redact(canarySection(canary))}\n`, true);
  if (checks?.containerLog)
    summary.addDetails(
      'Container output (last lines)',
      `<pre>${escapeHtml(redact(checks.containerLog.split('\n').slice(-50).join('\n')))}</pre>`,
    );
  await write(summary);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The job summary of a destroy, or of a preview removed when its pull request closed. */
export async function reportRemoved(app: string, preview: boolean): Promise<void> {
  const what = preview ? 'Preview removed' : 'Destroyed';
  await write(
    core.summary
      .addHeading(`${what}: ${app}`, 3)
      .addRaw(
        'Containers, images, the nginx site, env files and release history are gone from every host.',
        true,
      ),
  );
}

/** The job summary of prune-previews: every preview found, its pull request's state, what was done. */
export async function reportPrune(app: string, found: PreviewFound[]): Promise<void> {
  const removed = found.filter((preview) => preview.removed).length;
  core.info(`Removed ${removed} of ${found.length} preview(s) of ${app}`);
  await write(
    core.summary
      .addHeading(`Previews of ${app}: ${removed} removed, ${found.length - removed} kept`, 3)
      .addTable([
        ['Pull request', 'App', 'Hosts', 'State', 'Done'].map((data) => ({ data, header: true })),
        ...found.map((p) => [
          `#${p.number}`,
          p.app,
          p.hosts.join(', '),
          p.state,
          p.removed ? 'removed' : 'kept',
        ]),
      ]),
  );
}

/** Writes the job summary; a failure to write it is a warning, never a failed deploy. */
async function write(summary: typeof core.summary): Promise<void> {
  await summary
    .write()
    .catch((error) => core.warning(`could not write the job summary: ${errorMessage(error)}`));
}
