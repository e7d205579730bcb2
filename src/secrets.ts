import * as core from '@actions/core';

const known = new Set<string>();

/** Masks a secret in the runner log and remembers it, so our own messages can be scrubbed too. */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  for (const part of [value, ...value.split(/\r?\n/)]) {
    const trimmed = part.trim();
    if (trimmed.length < 3 || known.has(trimmed)) continue;
    known.add(trimmed);
    core.setSecret(trimmed);
  }
}

/** Replaces every registered secret in text: for error messages and remote output we pass on. */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return out;
}
