import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../../src/errors';
import { watchCancellation } from '../../../src/lifecycle/cancel';

// The signal handlers write workflow commands to stdout and exit; both are stubbed here.
function stubProcess() {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
}

async function settle() {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('watchCancellation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('before the hand-over, a signal runs the cleanup, exits, and the hand-over can no longer begin', async () => {
    const exit = stubProcess();
    const cleanup = vi.fn(async () => undefined);
    const cancellation = watchCancellation('deploy', cleanup);
    process.emit('SIGINT', 'SIGINT');
    await settle();
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(cancellation.cancelled).toBe(true);
    // The checks may end while the cleanup removes the container: traffic must not move onto it.
    expect(() => cancellation.beginHandOver()).toThrow(CancelledError);
    cancellation.dispose();
  });

  it('once the hand-over began, signals neither clean up nor exit: the run finishes', async () => {
    const exit = stubProcess();
    const cleanup = vi.fn(async () => undefined);
    const cancellation = watchCancellation('rollback', cleanup);
    cancellation.beginHandOver();
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(cleanup).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    expect(cancellation.cancelled).toBe(true);
    cancellation.dispose();
  });

  it('each run has its own state, and dispose stops listening', () => {
    const before = process.listenerCount('SIGINT');
    const first = watchCancellation('deploy', async () => undefined);
    first.beginHandOver();
    first.dispose();
    const second = watchCancellation('deploy', async () => undefined);
    expect(second.cancelled).toBe(false);
    second.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
