// node:timers/promises as Baton's code uses it, over the global timers. vitest's fake timers
// (vi.useFakeTimers) replace the global setTimeout, not the one of node:timers/promises: a test of code
// that waits with it mocks the module with this one, e.g.
//   vi.mock('node:timers/promises', async (importOriginal) => ({ ...(await importOriginal()), ...(await import('../support/timers')) }));

/** Resolves with `value` after `ms`; rejects with an AbortError as soon as `signal` aborts (as Node's does). */
export function setTimeout<T = void>(ms = 1, value?: T, options: { signal?: AbortSignal } = {}): Promise<T> {
  const { signal } = options;
  return new Promise<T>((resolve, reject) => {
    const abortError = () =>
      Object.assign(new Error('The operation was aborted', { cause: signal?.reason }), {
        name: 'AbortError',
        code: 'ABORT_ERR',
      });
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      globalThis.clearTimeout(timer);
      reject(abortError());
    };
    const timer = globalThis.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value as T);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
