import * as core from '@actions/core';
import { CancelledError } from '../errors';

/**
 * What a deploy or rollback does when the job is cancelled or times out (the runner sends SIGINT, then
 * SIGTERM, then SIGKILL). Until the hand-over begins, a cancellation runs `cleanup` (the new container
 * goes, the previous release keeps serving) and exits. From the moment the hand-over begins (before the
 * first nginx swap, since a swap cannot be interrupted halfway from here), it lets the run finish; a
 * reversible hand-over (a canary) is told through `signal` and sends traffic back itself.
 */
export interface Cancellation {
  readonly cancelled: boolean;
  /**
   * Called right before traffic starts to move. Throws when the run was cancelled already (its cleanup
   * is removing the container); otherwise a later cancellation lets the run finish.
   */
  beginHandOver(options?: { reversible: boolean }): void;
  /** Aborted at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Stops listening for the signals. */
  dispose(): void;
}

/** Listens for SIGINT and SIGTERM for one run. `what` names it in the log: "deploy", "rollback". */
export function watchCancellation(what: string, cleanup: () => Promise<void>): Cancellation {
  let cancelled = false;
  let handingOver: 'no' | 'yes' | 'reversible' = 'no';
  const abort = new AbortController();
  const handle = async (signal: NodeJS.Signals) => {
    if (cancelled) return;
    cancelled = true;
    abort.abort();
    if (handingOver === 'reversible') {
      core.warning(
        `${signal}: the ${what} was cancelled during the canary; sending all traffic back to the previous release`,
      );
      return;
    }
    if (handingOver === 'yes') {
      core.warning(`${signal}: traffic is moving to the new release; finishing the ${what} before stopping`);
      return;
    }
    core.warning(`${signal}: the ${what} was cancelled before the hand-over; removing the new release`);
    try {
      await cleanup();
    } catch (error) {
      core.warning(`cleanup after cancellation failed: ${error}`);
    }
    core.setFailed(
      `${capital(what)} cancelled (${signal}) before the hand-over; the previous release keeps serving`,
    );
    process.exit(1);
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const listener = (signal: NodeJS.Signals) => void handle(signal);
  for (const signal of signals) process.on(signal, listener);
  return {
    get cancelled() {
      return cancelled;
    },
    get signal() {
      return abort.signal;
    },
    beginHandOver(options) {
      if (cancelled) throw new CancelledError(`the ${what} was cancelled before the hand-over`);
      handingOver = options?.reversible ? 'reversible' : 'yes';
    },
    dispose() {
      for (const signal of signals) process.off(signal, listener);
    },
  };
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
