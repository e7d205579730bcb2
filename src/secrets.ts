import * as core from '@actions/core';

/** Shorter secrets are scrubbed from our messages only where they stand alone, not inside other words. */
const SHORT = 3;

/**
 * The secrets of one run. Registering masks a secret in the runner log (every non-blank value, however
 * short: the runner must hide it) and remembers it, so that what Baton writes elsewhere (the job summary,
 * GitHub statuses and comments, error annotations) is scrubbed too. Each line of a multi-line value is
 * masked as well, verbatim and without its surrounding whitespace.
 */
export class Secrets {
  private readonly known = new Set<string>();

  register(value: string | undefined): void {
    if (!value) return;
    for (const part of [value, ...value.split(/\r?\n/)]) {
      for (const secret of new Set([part, part.trim()])) {
        if (!secret.trim() || this.known.has(secret)) continue;
        this.known.add(secret);
        core.setSecret(secret);
      }
    }
  }

  /** Replaces every registered secret in text. */
  redact(text: string): string {
    let out = text;
    for (const secret of [...this.known].sort((a, b) => b.length - a.length)) {
      out =
        secret.length >= SHORT
          ? out.split(secret).join('***')
          : out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escape(secret)}(?![\\p{L}\\p{N}])`, 'gu'), '***');
    }
    return out;
  }
}

/** Scrubs text before it leaves the run (a summary, a comment, a status). */
export type Redact = (text: string) => string;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
