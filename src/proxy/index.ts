import type { Shell } from '../host/ssh';
import { NginxReload } from './nginx/reload';
import { NginxSockets } from './nginx/sockets';
import type { Proxy, ProxySettings } from './types';

export type {
  Drained,
  HostWatch,
  HostWatchFiles,
  Proxy,
  ProxySettings,
  ReleaseTraffic,
  RouteState,
  StagedRoute,
  TrafficMark,
  TrafficReport,
} from './types';

/** The proxy drivers; a new driver is a folder beside nginx/ and a line here. */
const DRIVERS = {
  nginx: (shell: Shell, settings: ProxySettings) => new NginxSockets(shell, settings),
  'nginx-reload': (shell: Shell, settings: ProxySettings) => new NginxReload(shell, settings),
} satisfies Record<string, (shell: Shell, settings: ProxySettings) => Proxy>;

export type ProxyName = keyof typeof DRIVERS;

export function createProxy(name: ProxyName, shell: Shell, settings: ProxySettings): Proxy {
  return DRIVERS[name](shell, settings);
}
