// The app's site in the reload-free scheme: written once (again only when the domain, listen address or
// TLS change). Each client hashes into one of 20 buckets of 5%; each request goes to its bucket's link
// in the run dir, which points at `primary` or `secondary`, which point at a release's forwarder socket.

import type { Route } from '../../model/route';
import { proxyHeaders, renderServers } from './servers';

export const BUCKETS = 20;

/** The first line of a reload-free site, so that a later run tells the two schemes apart. */
const MARK = '# Managed by Baton (reload-free): app';

export interface SocketSiteDirs {
  /** The app's run dir: bucket links, primary/secondary links, forwarder dirs. */
  runDir: string;
  /** Where the per-app traffic log goes. */
  logDir: string;
}

export function bucketName(index: number): string {
  return `b${String(index).padStart(2, '0')}`;
}

export function appRunDir(runDir: string, app: string): string {
  return `${runDir}/${app}`;
}

export function trafficLog(logDir: string, app: string): string {
  return `${logDir}/baton-${app}.traffic.log`;
}

export function isSocketSite(text: string | undefined): boolean {
  return text?.startsWith(MARK) ?? false;
}

export function renderSocketSite(route: Route, dirs: SocketSiteDirs): string {
  const name = route.app.replace(/-/g, '_');
  const upgrade = `$baton_${name}_connection`;
  const bucket = `$baton_${name}_bucket`;
  const shares = Array.from({ length: BUCKETS }, (_, i) =>
    i === BUCKETS - 1 ? `    *  ${bucketName(i)};` : `    5% ${bucketName(i)};`,
  );
  const location = `proxy_pass http://unix:${appRunDir(dirs.runDir, route.app)}/${bucket}:;
${proxyHeaders(upgrade)}
proxy_hide_header X-Baton-Release;
access_log ${trafficLog(dirs.logDir, route.app)} baton_${name};`;
  return `${MARK} ${route.app}. Traffic moves by links in ${appRunDir(dirs.runDir, route.app)}, without a reload.
map $http_upgrade ${upgrade} {
    default upgrade;
    ''      close;
}
split_clients "\${remote_addr}\${http_user_agent}" ${bucket} {
${shares.join('\n')}
}
log_format baton_${name} '$msec ${bucket} $status "$upstream_http_x_baton_release" "$upstream_response_time"';

${renderServers(route, location)}`;
}
