import * as core from '@actions/core';
import { backOff } from 'exponential-backoff';
import { errorMessage } from '../errors';

const ATTEMPTS = 3;
const SERVER_ERROR =
  /HTTP status: 5\d\d|\b5\d\d (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/;

/**
 * A push, tried again (up to 3 times, backing off from 1 s) when the registry answers with a server
 * error: registries do, e.g. while another push writes the same layers (two deploys of one commit).
 * Any other failure (auth, a missing repository) fails at once.
 */
export async function retryPush(
  image: string,
  push: () => Promise<void>,
  startingDelay = 1000,
): Promise<void> {
  await backOff(push, {
    numOfAttempts: ATTEMPTS,
    startingDelay,
    retry: (error: unknown, attempt: number) => {
      const transient = SERVER_ERROR.test(errorMessage(error));
      if (transient && attempt < ATTEMPTS) {
        core.warning(
          `push of ${image} failed: ${errorMessage(error)}; trying again (${attempt + 1}/${ATTEMPTS})`,
        );
      }
      return transient;
    },
  });
}
