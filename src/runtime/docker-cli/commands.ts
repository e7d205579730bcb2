// Docker command lines run on a target host, as argument arrays. Nothing here runs anything: the
// driver (./index.ts) runs them and parses what they print.

import type { ContainerFilter, ContainerSpec } from '../../model/container';

/**
 * Logs in with a config dir of its own, pulls, and removes the dir (credentials and all) whatever
 * happens, also on a hang-up: the credentials live on the host only while this command runs. The
 * password comes on stdin; `legacyDir` is where older versions kept a login for good: it goes too.
 */
export function pullWithLogin(
  configDir: string,
  legacyDir: string,
  server: string,
  username: string,
  image: string,
): string[] {
  const script =
    'd=$1; rm -rf "$2"; trap \'rm -rf "$d"\' EXIT; trap \'exit 129\' HUP INT TERM; ' +
    'mkdir -p -m 700 "$d" && docker --config "$d" login --username "$4" --password-stdin "$3" >/dev/null ' +
    '&& docker --config "$d" pull --quiet "$5"';
  return ['sh', '-c', script, 'baton-pull', configDir, legacyDir, server, username, image];
}

export function pull(image: string): string[] {
  return ['docker', 'pull', '--quiet', image];
}

export function run(spec: ContainerSpec): string[] {
  const argv = ['docker', 'run', '--detach', '--name', spec.name, '--restart', 'unless-stopped'];
  for (const [key, value] of Object.entries(spec.labels)) argv.push('--label', `${key}=${value}`);
  argv.push('--publish', `127.0.0.1::${spec.appPort}`);
  for (const [key, value] of Object.entries(spec.env)) argv.push('--env', `${key}=${value}`);
  if (spec.envFile) argv.push('--env-file', spec.envFile);
  if (spec.memory) argv.push('--memory', spec.memory);
  if (spec.cpus) argv.push('--cpus', spec.cpus);
  argv.push('--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', spec.image);
  return argv;
}

export function port(container: string, appPort: number): string[] {
  return ['docker', 'port', container, `${appPort}/tcp`];
}

/** Prints "<status> <restart count> <exit code>" of a container. */
export function state(container: string): string[] {
  return [
    'docker',
    'inspect',
    '--format',
    '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}',
    container,
  ];
}

export function inspectField(container: string, template: string): string[] {
  return ['docker', 'inspect', '--format', template, container];
}

/** Container addresses on every network it is attached to, space-separated. */
export function addresses(container: string): string[] {
  return inspectField(container, '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}');
}

/** Runs a command in the container, killed after `seconds` by the host's timeout (exit 124). */
export function exec(container: string, command: string[], seconds: number): string[] {
  return joined(['timeout', String(seconds), 'docker', 'exec', container, ...command]);
}

/** One line per running container: NAME CPU% MEM-USED (e.g. "web-1 12.50% 20.5MiB / 1.9GiB"). */
export function stats(containers: string[]): string[] {
  return [
    'docker',
    'stats',
    '--no-stream',
    '--format',
    '{{.Name}} {{.CPUPerc}} {{.MemUsage}}',
    ...containers,
  ];
}

export function pid(container: string): string[] {
  return inspectField(container, '{{.State.Pid}}');
}

/** The kernel's TCP socket tables of a process's network namespace. */
export function socketTables(pid: string): string[] {
  return ['cat', `/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`];
}

/**
 * A command with its stderr joined to its stdout on the host: read stdout only, so that what the SSH
 * session's login shell prints on stderr (.bashrc warnings, say) never passes for the command's output.
 */
export function joined(argv: string[]): string[] {
  return ['sh', '-c', 'exec "$@" 2>&1', 'baton', ...argv];
}

/** The container's last lines (both streams, joined: read stdout). */
export function logs(container: string, lines: number): string[] {
  return joined(['docker', 'logs', '--tail', String(lines), container]);
}

export function remove(containers: string[]): string[] {
  return ['docker', 'rm', '--force', '--volumes', ...containers];
}

// One line per container, tab-separated: name, baton.app, baton.preview-of, baton.release, image id, running.
const DESCRIBE =
  '{{.Name}}\t{{index .Config.Labels "baton.app"}}\t{{index .Config.Labels "baton.preview-of"}}\t' +
  '{{index .Config.Labels "baton.release"}}\t{{.Image}}\t{{.State.Running}}';

/** Describes the containers a filter selects (see DESCRIBE), in one round trip; prints nothing for none. */
export function list(filter: ContainerFilter): string[] {
  const filters = [
    ...(filter.running ? ['--filter', 'status=running'] : ['--all']),
    ...(filter.app ? ['--filter', `label=baton.app=${filter.app}`] : []),
    ...(filter.previewOf ? ['--filter', `label=baton.preview-of=${filter.previewOf}`] : []),
    ...(filter.baton ? ['--filter', 'label=baton.app'] : []),
  ];
  const script =
    'ids=$(docker ps --quiet "$@") || exit; [ -z "$ids" ] || exec docker inspect --format "$0" $ids';
  return ['sh', '-c', script, DESCRIBE, ...filters];
}

export function start(container: string): string[] {
  return ['docker', 'start', container];
}

export function stop(container: string): string[] {
  return ['docker', 'stop', '--time', '30', container];
}

export function removeImages(ids: string[]): string[] {
  return ['docker', 'image', 'rm', ...ids];
}

/**
 * Stops containers after a delay, detached so the runner does not wait; they stay, stopped, for rollbacks
 * until pruned. A container that became current again meanwhile (a quick rollback) is left running. The
 * script is a constant; the delay, the current-release file, the app and the names arrive as arguments.
 */
export function retireLater(
  delaySeconds: number,
  currentFile: string,
  app: string,
  containers: string[],
): string[] {
  const inner =
    'sleep "$0"; f=$1; app=$2; shift 2; for c in "$@"; do ' +
    '[ "$c" = "$app-$(cat "$f" 2>/dev/null)" ] || docker stop --time 30 "$c"; done';
  const script = `delay=$1; shift; nohup sh -c '${inner}' "$delay" "$@" </dev/null >/dev/null 2>&1 &`;
  return ['sh', '-c', script, 'baton-retire', String(delaySeconds), currentFile, app, ...containers];
}
