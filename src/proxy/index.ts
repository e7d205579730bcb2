import type { Shell } from '../host/ssh';
import { Nginx } from './nginx';
import type { Proxy, ProxySettings } from './types';

export type { Proxy, ProxySettings, RouteState, StagedRoute } from './types';

/** The proxy drivers; a new driver is a folder beside nginx/ and a line here. */
const DRIVERS = {
  nginx: (shell: Shell, settings: ProxySettings) => new Nginx(shell, settings),
} satisfies Record<string, (shell: Shell, settings: ProxySettings) => Proxy>;

export type ProxyName = keyof typeof DRIVERS;

export function createProxy(name: ProxyName, shell: Shell, settings: ProxySettings): Proxy {
  return DRIVERS[name](shell, settings);
}
