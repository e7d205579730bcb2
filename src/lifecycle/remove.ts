import { onEachServer, type Server } from '../fleet';
import { removeAppDir } from '../host/state';
import { step } from '../log';
import type { AppPlace } from '../plan/place';

/**
 * Removes an app from servers already connected and locked for it: its route (the proxy keeps serving
 * the others), its containers and images, its state dir. A preview's removal takes only containers
 * labelled as previews.
 */
export async function removeApp(servers: Server[], place: AppPlace): Promise<void> {
  await onEachServer(servers, async (server) => {
    await step(`removed the ${server.proxy.name} site`, () => server.proxy.remove(place.app), server.label);
    await step('removed containers and images', () => removeContainers(server, place), server.label);
    await step(`removed ${place.appDir}`, () => removeAppDir(server.shell, place.appDir), server.label);
  });
}

async function removeContainers(server: Server, place: AppPlace): Promise<void> {
  const containers = await server.runtime.list({ app: place.app, previewOf: place.previewOf });
  if (containers.length === 0) return;
  await server.runtime.remove(containers.map((container) => container.name));
  await server.runtime.removeImages([...new Set(containers.map((container) => container.image))]);
}
