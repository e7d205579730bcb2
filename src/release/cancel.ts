import * as core from '@actions/core';

/**
 * What to do when the job is cancelled or times out (the runner sends SIGINT, then SIGTERM). Before the
 * hand-over, the registered cleanup removes the new container and lets go of the lock; after it, the
 * deploy is left to finish retiring the old release.
 */
type Cleanup = () => Promise<void>;

let cleanup: Cleanup | undefined;
let finishing = false;
let cancelled = false;
let installed = false;

export function isCancelled(): boolean {
  return cancelled;
}

/** Until the returned function is called, a cancellation runs `work` and exits. */
export function onCancel(work: Cleanup): () => void {
  install();
  cleanup = work;
  finishing = false;
  return () => {
    if (cleanup === work) cleanup = undefined;
  };
}

/** From now on a cancellation lets the deploy finish (traffic has moved). */
export function finishOnCancel(): void {
  finishing = true;
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void handle(signal));
  }
}

async function handle(signal: string): Promise<void> {
  if (cancelled) return;
  cancelled = true;
  if (finishing || !cleanup) {
    core.warning(`${signal}: the hand-over is done; finishing the deploy before stopping`);
    return;
  }
  core.warning(`${signal}: the deploy was cancelled before the hand-over; removing the new release`);
  try {
    await cleanup();
  } catch (error) {
    core.warning(`cleanup after cancellation failed: ${error}`);
  }
  core.setFailed(`Deploy cancelled (${signal}) before the hand-over; the previous release keeps serving`);
  process.exit(1);
}
