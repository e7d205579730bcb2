import { BatonError } from '../errors';
// Deadlines for checks: a probe in flight is abandoned when its time is up, whatever it waits on.

export interface Deadline {
  signal: AbortSignal;
  /** Stops the timer and unhooks from the parent; call when the guarded work is over. */
  clear(): void;
}

/** A signal that aborts after `ms` (with `reason`), or as soon as `parent` aborts (with its reason). */
export function deadline(ms: number, reason: string, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new BatonError(reason)), Math.max(0, ms));
  const follow = () => controller.abort(parent?.reason);
  if (parent?.aborted) follow();
  else parent?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', follow);
    },
  };
}

/** The text of an aborted signal's reason. */
export function reasonText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

/** What `work` resolves to, or `aborted(reason)` as soon as the signal aborts, whichever comes first. */
export function unlessAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  aborted: (reason: string) => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(aborted(reasonText(signal)));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Sleeps `ms`, or less if the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
