import { defineConfig } from 'vitest/config';
import { HOSTS } from './__tests__/e2e/support/host-pool';

export default defineConfig({
  test: {
    projects: [
      // The timeout only catches a hang: a busy machine may take several times as long as an idle one.
      {
        test: {
          name: 'unit',
          include: ['__tests__/unit/**/*.test.ts'],
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['__tests__/e2e/**/*.test.ts'],
          globalSetup: ['__tests__/e2e/support/global-setup.ts'],
          // Each file claims a test host of its own (support/host-pool.ts), so files run in parallel.
          setupFiles: ['__tests__/e2e/support/claim-host.ts', '__tests__/e2e/support/github-setup.ts'],
          maxWorkers: HOSTS,
          sequence: { groupOrder: 1 }, // after the unit tests: projects with their own maxWorkers run apart
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
