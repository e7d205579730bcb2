// The nginx side of the hand-over: one server file per app, tested before every reload.

export interface NginxSite {
  app: string;
  release: string;
  domain: string;
  listen: string;
  upstreamPort: number;
}

export function siteFile(confDir: string, app: string): string {
  return `${confDir}/baton-${app}.conf`;
}

/** The release a site file routes to, from its first line (see renderSite); undefined for a foreign file. */
export function siteRelease(text: string | undefined): string | undefined {
  return /^# Managed by Baton: app \S+, release (\S+)\. /.exec(text ?? '')?.[1];
}

export function renderSite(site: NginxSite): string {
  const upgrade = `$baton_${site.app.replace(/-/g, '_')}_connection`;
  return `# Managed by Baton: app ${site.app}, release ${site.release}. Rewritten at every deploy.
map $http_upgrade ${upgrade} {
    default upgrade;
    ''      close;
}

server {
    listen ${site.listen};
    server_name ${site.domain};

    location / {
        proxy_pass http://127.0.0.1:${site.upstreamPort};
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection ${upgrade};
        proxy_read_timeout 3600s;
    }
}
`;
}
