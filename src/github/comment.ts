import type { Redact } from '../secrets';
import { type CanaryReport, canarySection } from '../traffic/canary/report';

/** What a PR comment says about one deploy of one app. */
export interface CommentFacts {
  app: string;
  ok: boolean;
  url: string;
  commit: string;
  release?: string;
  previousRelease?: string;
  phases: { name: string; seconds: number }[];
  failure?: { phase: string; reason: string; check?: string; containerLog?: string };
  runUrl: string;
  removed?: boolean;
  /** The canary's steps with their figures (and why it rolled back), when traffic moved in steps. */
  canary?: CanaryReport;
}

export function marker(app: string): string {
  return `<!-- baton:sticky-comment app=${app} -->`;
}

/** The sticky comment's body, found again by its marker. Everything passes through redact(). */
export function renderComment(facts: CommentFacts, redact: Redact): string {
  const lines = [marker(facts.app)];
  if (facts.removed) {
    lines.push(
      `### 🧹 ${facts.app}: preview removed`,
      '',
      `The preview of this pull request was removed from the hosts.`,
    );
    return redact(lines.join('\n'));
  }
  lines.push(
    facts.ok ? `### ✅ ${facts.app} deployed` : `### ❌ ${facts.app} deploy failed`,
    '',
    '| | |',
    '| --- | --- |',
  );
  lines.push(`| Status | ${facts.ok ? 'live' : `failed in ${facts.failure?.phase ?? 'deploy'}`} |`);
  if (facts.ok) lines.push(`| URL | ${facts.url} |`);
  lines.push(`| Commit | \`${facts.commit.slice(0, 7)}\` |`);
  if (facts.release) lines.push(`| Release | \`${facts.release}\` |`);
  if (facts.phases.length)
    lines.push(`| Time | ${facts.phases.map((p) => `${p.name} ${p.seconds.toFixed(1)}s`).join(' · ')} |`);
  lines.push(`| Log | [workflow run](${facts.runUrl}) |`);
  if (facts.failure) {
    lines.push('', `**Why:** ${oneLine(facts.failure.reason)}`);
    if (facts.failure.check) lines.push('', `**Failing check:** ${oneLine(facts.failure.check)}`);
    if (facts.failure.containerLog) {
      const tail = facts.failure.containerLog.split('\n').slice(-30).join('\n').replace(/```/g, "'''");
      lines.push(
        '',
        '<details><summary>Container output (last lines)</summary>',
        '',
        '```',
        tail,
        '```',
        '</details>',
      );
    }
  }
  if (facts.canary) lines.push('', canarySection(facts.canary));
  if (facts.previousRelease) {
    const what = facts.ok ? 'Roll back' : 'Still serving';
    lines.push(
      '',
      `${what}: release \`${facts.previousRelease}\` (\`command: rollback\`, \`release: ${facts.previousRelease}\`).`,
    );
  }
  return redact(lines.join('\n'));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 500);
}
