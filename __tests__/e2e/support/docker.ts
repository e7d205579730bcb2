import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { discardForwarders } from '../../../src/proxy/nginx/socket-commands';
import Docker from 'dockerode';
import type { TestHost } from './host';

export function engine(host: TestHost): Docker {
  return new Docker({ socketPath: host.DOCKER_HOST.replace(/^unix:\/\//, '') });
}

/** The app's containers on the test host, as name, state and labels. */
export async function appContainers(host: TestHost, app: string) {
  const list = await engine(host).listContainers({ all: true, filters: { label: [`baton.app=${app}`] } });
  return list.map((container) => ({
    name: (container.Names[0] ?? '').replace(/^\//, ''),
    state: container.State,
    labels: container.Labels,
  }));
}

/** Removes every trace of an app from the test host: containers, nginx site file, state dir. */
export async function removeApp(host: TestHost, app: string): Promise<void> {
  for (const container of await appContainers(host, app)) {
    await engine(host).getContainer(container.name).remove({ force: true });
  }
  rmSync(`${host.NGINX_CONF_DIR}/baton-${app}.conf`, { force: true });
  rmSync(`${host.BATON_TEST_ROOT}/state/${app}`, { recursive: true, force: true });
  stopForwarders(`${host.NGINX_RUN_DIR}/${app}`);
}

/** Stops the app's forwarders (nginx-handover: sockets) and removes its run dir, as destroy does. */
function stopForwarders(dir: string): void {
  const [command, ...args] = discardForwarders(dir, 'all');
  execFileSync(command as string, args);
}
