import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** Stops the app's forwarders (nginx-handover: sockets) and removes its run dir. */
function stopForwarders(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).filter((entry) => entry.startsWith('f-'))) {
    try {
      process.kill(Number(readFileSync(`${dir}/${name}/pid`, 'utf8')), 'SIGTERM');
    } catch {
      // not running
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
