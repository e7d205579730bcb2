import * as core from '@actions/core';
import { ConfigError } from '../errors';
import { onEachServer } from '../fleet';
import { checkIsPreview } from '../lifecycle/previews';
import { removeApp } from '../lifecycle/remove';
import { placeOf } from '../plan/place';
import { type Frame, lockedSession } from './frame';

/**
 * Removes the app from every host: its route (tested, reloaded), containers, images, env files, state.
 * A pull request's preview needs no confirmation: closing the PR is the confirmation.
 */
export async function destroy(frame: Frame): Promise<void> {
  const { config, context, timed } = frame;
  if (!config.preview && config.confirm !== config.app) {
    throw new ConfigError(
      `destroy removes ${config.app} from every host: set confirm: ${config.app} to go ahead`,
      {
        kind: 'input',
        name: 'confirm',
      },
    );
  }
  const place = placeOf(config, context);
  const count = await lockedSession(frame, place, `destroy of ${place.app}`, async (servers) => {
    const preview = config.preview;
    if (preview)
      await timed('Check', () => onEachServer(servers, (server) => checkIsPreview(server, preview)));
    await timed('Destroy', () => removeApp(servers, place));
    return servers.length;
  });
  core.info(`Destroyed ${place.app} on ${count} host(s)`);
}
