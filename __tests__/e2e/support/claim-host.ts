import { afterAll } from 'vitest';
import { claimHost, envFile, releaseHost } from './host-pool';

// Runs before each e2e file is imported: readTestHost() then reads the host this file has to itself.
const k = claimHost();
process.env.BATON_TEST_ENV = envFile(k);

afterAll(() => releaseHost(k));
