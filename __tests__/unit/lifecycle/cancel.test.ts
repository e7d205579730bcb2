import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { CancelledError } from '../../../src/errors';
import { type Cancellation, watchCancellation } from '../../../src/lifecycle/cancel';
import { captureLog } from '../support/fakes';

// A signal handler that really exited would end the vitest worker: process.exit is stubbed in every test.
let exit: MockInstance<typeof process.exit>;
let log: ReturnType<typeof captureLog>;
let watching: Cancellation[] = [];
const listeners = { SIGINT: 0, SIGTERM: 0 };

function watch(what: string, cleanup: () => Promise<void>): Cancellation {
  const cancellation = watchCancellation(what, cleanup);
  watching.push(cancellation);
  return cancellation;
}

/** Lets the signal handler (async) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

beforeEach(() => {
  listeners.SIGINT = process.listenerCount('SIGINT');
  listeners.SIGTERM = process.listenerCount('SIGTERM');
  log = captureLog();
  exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
});

afterEach(() => {
  for (const cancellation of watching) cancellation.dispose();
  watching = [];
  vi.restoreAllMocks();
  process.exitCode = undefined; // core.setFailed sets it
});

describe('watchCancellation', () => {
  it('SIGTERM before the hand-over runs the cleanup, then fails the step and exits 1', async () => {
    const cleanup = deferred();
    const cleanupStarted = vi.fn(() => cleanup.promise);
    const cancellation = watch('deploy', cleanupStarted);
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(cleanupStarted).toHaveBeenCalledTimes(1);
    expect(cancellation.cancelled).toBe(true);
    // It does not exit while the cleanup still runs.
    expect(exit).not.toHaveBeenCalled();
    cleanup.resolve();
    await settle();
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(log.text()).toContain(
      '::warning::SIGTERM: the deploy was cancelled before the hand-over; removing the new release',
    );
    expect(log.text()).toContain(
      '::error::Deploy cancelled (SIGTERM) before the hand-over; the previous release keeps serving',
    );
    expect(process.exitCode).toBe(1);
  });

  it('a cleanup that fails is warned about, and the run still exits 1', async () => {
    watch('rollback', async () => {
      throw new Error('ssh connection lost');
    });
    process.emit('SIGINT', 'SIGINT');
    await settle();
    expect(log.text()).toContain('cleanup after cancellation failed: Error: ssh connection lost');
    expect(log.text()).toContain('::error::Rollback cancelled (SIGINT) before the hand-over');
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('a second signal (the runner sends SIGINT, then SIGTERM) does not clean up twice', async () => {
    const cleanup = vi.fn(async () => undefined);
    watch('deploy', cleanup);
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('after beginHandOver, a signal only warns: no cleanup, no exit, the run goes on', async () => {
    const cleanup = vi.fn(async () => undefined);
    const cancellation = watch('deploy', cleanup);
    cancellation.beginHandOver();
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(cleanup).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    expect(log.text()).toContain(
      '::warning::SIGTERM: traffic is moving to the new release; finishing the deploy before stopping',
    );
    expect(log.text()).not.toContain('::error::');
    expect(process.exitCode).toBeUndefined();
  });

  it('beginHandOver after a cancellation throws CancelledError: traffic must not move', async () => {
    const cancellation = watch('rollback', async () => undefined);
    expect(cancellation.cancelled).toBe(false);
    process.emit('SIGINT', 'SIGINT');
    await settle();
    expect(() => cancellation.beginHandOver()).toThrow(CancelledError);
    expect(() => cancellation.beginHandOver()).toThrow('the rollback was cancelled before the hand-over');
  });

  it('adds one listener per signal, and dispose removes them: later signals do nothing', async () => {
    const cleanup = vi.fn(async () => undefined);
    const cancellation = watch('deploy', cleanup);
    expect(process.listenerCount('SIGINT')).toBe(listeners.SIGINT + 1);
    expect(process.listenerCount('SIGTERM')).toBe(listeners.SIGTERM + 1);
    cancellation.dispose();
    expect(process.listenerCount('SIGINT')).toBe(listeners.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(listeners.SIGTERM);
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(cleanup).not.toHaveBeenCalled();
    expect(cancellation.cancelled).toBe(false);
  });

  it('two runs watched at once are cancelled apart: one handing over, one not', async () => {
    const handingOver = vi.fn(async () => undefined);
    const starting = vi.fn(async () => undefined);
    const first = watch('deploy', handingOver);
    watch('deploy', starting);
    first.beginHandOver();
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(handingOver).not.toHaveBeenCalled();
    expect(starting).toHaveBeenCalledTimes(1);
  });
});
