import { afterAll, beforeAll } from 'vitest';
import { type StandIn, startStandIn } from './github-standin';

// A runner always has a GitHub to talk to: each e2e file gets a stand-in (checked against GitHub's
// OpenAPI description) that runs use unless a test points GITHUB_API_URL at its own.
let standIn: StandIn | undefined;

beforeAll(async () => {
  standIn = await startStandIn();
  process.env.BATON_TEST_GITHUB_API = standIn.url;
});

afterAll(async () => {
  await standIn?.close();
});
