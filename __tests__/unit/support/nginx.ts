import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';

/** `nginx -t` over site files (as included in http {}), in a scratch prefix. */
export function nginxTestSites(sites: string[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-nginx-t-'));
  const confDir = join(dir, 'conf.d');
  mkdirSync(confDir);
  sites.forEach((text, i) => writeFileSync(join(confDir, `site-${i}.conf`), text));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      `    access_log ${dir}/access.log;`,
      `    client_body_temp_path ${dir}/client_body;`,
      `    proxy_temp_path ${dir}/proxy;`,
      `    fastcgi_temp_path ${dir}/fastcgi;`,
      `    uwsgi_temp_path ${dir}/uwsgi;`,
      `    scgi_temp_path ${dir}/scgi;`,
      `    include ${confDir}/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  return nginxTestConf(conf, dir);
}

/** `nginx -t` of a whole nginx.conf. */
export function nginxTestConf(conf: string, prefix: string): { status: number | null; output: string } {
  const result = spawnSync(NGINX, ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', conf], {
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
