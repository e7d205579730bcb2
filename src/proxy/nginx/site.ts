// An app's nginx server file: one per app, rewritten at every deploy, tested before every reload.

import type { Route, Upstream } from '../../model/route';
import { proxyHeaders, renderServers } from './servers';

export function siteFile(confDir: string, app: string): string {
  return `${confDir}/baton-${app}.conf`;
}

/** The release a site file routes to, from its first line (see renderSite); undefined for a foreign file. */
export function siteRelease(text: string | undefined): string | undefined {
  return /^# Managed by Baton: app \S+, release (\S+)\. /.exec(text ?? '')?.[1];
}

/** Where a site file sends requests: its upstream servers, or its proxy_pass target. */
export function siteUpstreams(text: string): string[] {
  const servers = [...text.matchAll(/^\s*server\s+(\d[^\s;]*)[^;]*;/gm)].map((match) => match[1] as string);
  if (servers.length) return servers;
  const target = /proxy_pass\s+http:\/\/([^;\s]+)/.exec(text)?.[1];
  return target ? [target] : [];
}

export function renderSite(route: Route): string {
  const name = route.app.replace(/-/g, '_');
  const upgrade = `$baton_${name}_connection`;
  const [only] = route.upstreams;
  const target = route.upstreams.length === 1 && only ? address(only) : `baton_${name}`;
  return `# Managed by Baton: app ${route.app}, release ${route.release}. Rewritten at every deploy.
map $http_upgrade ${upgrade} {
    default upgrade;
    ''      close;
}
${route.upstreams.length === 1 ? '' : upstreamBlock(target, route.upstreams)}
${renderServers(route, `proxy_pass http://${target};\n${proxyHeaders(upgrade)}`)}`;
}

function address(upstream: Upstream): string {
  return `127.0.0.1:${upstream.port}`;
}

function upstreamBlock(name: string, upstreams: Upstream[]): string {
  const servers = upstreams.map((upstream) => `    server ${address(upstream)} weight=${upstream.weight};\n`);
  return `\nupstream ${name} {\n${servers.join('')}}\n`;
}

/** The server names of grep -H server_name output, per file ("file:  server_name a b;"). */
export function serverNames(grepOutput: string): { file: string; names: string[] }[] {
  return grepOutput.split('\n').flatMap((line) => {
    const match = /^(.*?):\s*server_name\s+([^;#]*)/.exec(line);
    if (!match) return [];
    return [
      { file: match[1] as string, names: (match[2] as string).toLowerCase().split(/\s+/).filter(Boolean) },
    ];
  });
}
