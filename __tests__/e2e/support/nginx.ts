import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { parseForwarderName } from '../../../src/proxy/nginx/forwarder';
import type { TestHost } from './host';

/** The test host nginx's worker pids: a reload replaces them all, a reload-free hand-over none. */
export function nginxWorkers(host: TestHost): string[] {
  const master = readFileSync(`${host.BATON_TEST_ROOT}/nginx/nginx.pid`, 'utf8').trim();
  return execFileSync('pgrep', ['-P', master], { encoding: 'utf8' }).trim().split('\n').sort();
}

/** The release the app's route serves: its primary link (reload-free), else its site file's first line. */
export function liveRelease(host: TestHost, app: string): string | undefined {
  try {
    const target = readlinkSync(`${host.NGINX_RUN_DIR}/${app}/primary`);
    return parseForwarderName(target.replace(/\/sock$/, ''))?.release;
  } catch {
    const site = `${host.NGINX_CONF_DIR}/baton-${app}.conf`;
    return existsSync(site) ? /release (\S+)\. /.exec(readFileSync(site, 'utf8'))?.[1] : undefined;
  }
}
