import { describe, expect, it } from 'vitest';
import { retryPush } from '../../../src/build/push';

const failing = (messages: string[]) => {
  const calls: number[] = [];
  const push = async () => {
    calls.push(calls.length + 1);
    const message = messages.shift();
    if (message) throw new Error(message);
  };
  return { calls, push };
};

describe('retryPush', () => {
  it('tries again after a server error of the registry, and succeeds', async () => {
    const { calls, push } = failing([
      'docker push failed (exit 1): received unexpected HTTP status: 500 Internal Server Error',
    ]);
    await retryPush('registry.example.com/web:1', push, 1);
    expect(calls).toEqual([1, 2]);
  });

  it('gives up after 3 attempts with the last error', async () => {
    const { calls, push } = failing(['HTTP status: 503', 'HTTP status: 502', 'HTTP status: 500 (third)']);
    await expect(retryPush('registry.example.com/web:1', push, 1)).rejects.toThrow(
      'HTTP status: 500 (third)',
    );
    expect(calls).toEqual([1, 2, 3]);
  });

  it('fails at once on anything else (a wrong password is not retried)', async () => {
    const { calls, push } = failing(['docker push failed (exit 1): unauthorized: authentication required']);
    await expect(retryPush('registry.example.com/web:1', push, 1)).rejects.toThrow('unauthorized');
    expect(calls).toEqual([1]);
  });
});
