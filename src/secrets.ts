import * as core from '@actions/core';

const known = new Set<string>();
/** Shorter secrets are scrubbed from our messages only where they stand alone, not inside other words. */
const SHORT = 3;

/**
 * Masks a secret in the runner log (every non-blank value, however short: the runner must hide it) and
 * remembers it, so our own messages can be scrubbed too. Each line of a multi-line value is masked as well,
 * verbatim and without its surrounding whitespace.
 */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  for (const part of [value, ...value.split(/\r?\n/)]) {
    for (const secret of new Set([part, part.trim()])) {
      if (!secret.trim() || known.has(secret)) continue;
      known.add(secret);
      core.setSecret(secret);
    }
  }
}

/** Replaces every registered secret in text: for error messages and remote output we pass on. */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    out =
      secret.length >= SHORT
        ? out.split(secret).join('***')
        : out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escape(secret)}(?![\\p{L}\\p{N}])`, 'gu'), '***');
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
