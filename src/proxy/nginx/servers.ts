// The server blocks of an app's site: where nginx listens and for which names. Both nginx drivers wrap
// their own `location /` body (where requests go) in these.

import type { Route, RouteTls } from '../../model/route';

/**
 * The server block(s) for `route`, with `location` as the body of its `location /`. Without TLS, one
 * server on `route.listen`; with TLS, that one only answers ACME challenges and redirects the rest to
 * HTTPS, and a second server on the TLS listen address serves the app. The ACME webroot location, when
 * set, is in both and never redirected (certbot's HTTP-01 checks come over plain HTTP).
 */
export function renderServers(route: Route, location: string): string {
  const acme = route.acmeWebroot ? acmeLocation(route.acmeWebroot) : '';
  if (!route.tls)
    return server([`listen ${route.listen};`], route.domain, `${acme}${rootLocation(location)}`);
  const http = server(
    [`listen ${route.listen};`],
    route.domain,
    `${acme}${rootLocation(`return 301 ${httpsTarget(route.tls)};`)}`,
  );
  const https = server(
    [
      `listen ${route.tls.listen} ssl http2;`,
      '',
      `ssl_certificate ${route.tls.certificate};`,
      `ssl_certificate_key ${route.tls.key};`,
      'ssl_protocols TLSv1.2 TLSv1.3;',
    ],
    route.domain,
    `${acme}${rootLocation(location)}`,
  );
  return `${http}
${https}`;
}

/** Where the HTTP server redirects: the same host and URI over HTTPS (with the port unless it is 443). */
function httpsTarget(tls: RouteTls): string {
  const port = tls.listen.slice(tls.listen.lastIndexOf(':') + 1);
  return port === '443' ? 'https://$host$request_uri' : `https://$host:${port}$request_uri`;
}

function server(head: string[], domain: string, locations: string): string {
  const [listen, ...rest] = head;
  const lines = [listen, `server_name ${domain};`, ...rest].map((line) => (line ? `    ${line}` : line));
  return `server {
${lines.join('\n')}

${locations}}
`;
}

function rootLocation(body: string): string {
  return `    location / {
${indent(body, 8)}
    }
`;
}

/** certbot certonly --webroot writes its tokens under WEBROOT/.well-known/acme-challenge/. */
function acmeLocation(webroot: string): string {
  return `    location ^~ /.well-known/acme-challenge/ {
        root ${webroot};
        default_type text/plain;
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
