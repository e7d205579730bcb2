// Docker command lines run on a target host, as argument arrays. Nothing here runs anything.

export interface ContainerSpec {
  name: string;
  image: string;
  appPort: number;
  labels: Record<string, string>;
  env: Record<string, string>;
  envFile?: string;
}

export function login(configDir: string, server: string, username: string): string[] {
  return ['docker', '--config', configDir, 'login', '--username', username, '--password-stdin', server];
}

export function pull(configDir: string | undefined, image: string): string[] {
  return ['docker', ...(configDir ? ['--config', configDir] : []), 'pull', '--quiet', image];
}

export function run(spec: ContainerSpec): string[] {
  const argv = ['docker', 'run', '--detach', '--name', spec.name, '--restart', 'unless-stopped'];
  for (const [key, value] of Object.entries(spec.labels)) argv.push('--label', `${key}=${value}`);
  argv.push('--publish', `127.0.0.1::${spec.appPort}`);
  for (const [key, value] of Object.entries(spec.env)) argv.push('--env', `${key}=${value}`);
  if (spec.envFile) argv.push('--env-file', spec.envFile);
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

export function exec(container: string, command: string[]): string[] {
  return ['docker', 'exec', container, ...command];
}

export function logs(container: string, lines: number): string[] {
  return ['docker', 'logs', '--tail', String(lines), container];
}

export function remove(container: string): string[] {
  return ['docker', 'rm', '--force', '--volumes', container];
}

/** Names of the app's containers (running or not), newest first. */
export function appContainers(app: string): string[] {
  return ['docker', 'ps', '--all', '--filter', `label=baton.app=${app}`, '--format', '{{.Names}}'];
}

/**
 * Stops and removes containers after a delay, detached so the runner does not wait. The script is a
 * constant; the delay and names arrive as positional arguments.
 */
export function retireLater(delaySeconds: number, containers: string[]): string[] {
  const script =
    'delay=$1; shift; nohup sh -c \'sleep "$0"; for c in "$@"; do docker stop --time 30 "$c"; docker rm "$c"; done\' ' +
    '"$delay" "$@" </dev/null >/dev/null 2>&1 &';
  return ['sh', '-c', script, 'baton-retire', String(delaySeconds), ...containers];
}
