// Every setting Baton reads, with its default. Each is an action input of the same name and, except
// the secret ones, a top-level key of baton.yml. action.yml lists the same names (a test checks it).

export const SETTINGS = {
  command: { default: 'deploy', file: false },
  release: { default: '', file: false },
  confirm: { default: '', file: false },
  config: { default: 'baton.yml', file: false },
  app: { default: '', file: true },
  environment: { default: 'production', file: true },
  image: { default: '', file: true },
  build: { default: 'true', file: true },
  context: { default: '.', file: true },
  dockerfile: { default: '', file: true },
  'build-args': { default: '', file: true },
  'registry-username': { default: '', file: true },
  'registry-password': { default: '', file: false },
  'github-token': { default: '', file: false },
  hosts: { default: '', file: true },
  'ssh-key': { default: '', file: false },
  'known-hosts': { default: '', file: true },
  'trust-first-use': { default: 'false', file: true },
  'app-port': { default: '80', file: true },
  domain: { default: '', file: true },
  env: { default: '', file: true },
  secrets: { default: '', file: false },
  checks: { default: '', file: true },
  'healthcheck-path': { default: '', file: true },
  'skip-checks': { default: 'false', file: true },
  'checks-timing': { default: 'fast', file: true },
  'default-checks-wait': { default: '10', file: true },
  'ready-path': { default: '/', file: true },
  'ready-timeout': { default: '60', file: true },
  'retire-after': { default: '60', file: true },
  'nginx-listen': { default: '80', file: true },
  'nginx-conf-dir': { default: '/etc/nginx/conf.d', file: true },
  'nginx-test-command': { default: 'nginx -t', file: true },
  'nginx-reload-command': { default: 'nginx -s reload', file: true },
  'state-dir': { default: '/var/lib/baton', file: true },
  'keep-releases': { default: '5', file: true },
  'lock-timeout': { default: '600', file: true },
} as const;

export type SettingName = keyof typeof SETTINGS;

export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}
