// The server blocks of an app's site: where nginx listens and for which names. Both nginx drivers wrap
// their own `location /` body (where requests go) in these.

import type { Route } from '../../model/route';

/** The server block(s) for `route`, with `location` as the body of its `location /`. */
export function renderServers(route: Route, location: string): string {
  return `server {
    listen ${route.listen};
    server_name ${route.domain};

    location / {
${indent(location, 8)}
    }
}
`;
}

/** The proxy_* lines both drivers put in `location /`; `upgrade` is the Connection header's variable. */
export function proxyHeaders(upgrade: string): string {
  return `proxy_http_version 1.1;
proxy_set_header Host $host;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Proto $scheme;
proxy_set_header X-Forwarded-Host $host;
proxy_set_header Upgrade $http_upgrade;
proxy_set_header Connection ${upgrade};
proxy_read_timeout 3600s;`;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}
