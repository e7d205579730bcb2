// Every setting Baton reads: the one source of truth for its default, where it may be set, whether it
// is secret, and its line in action.yml (which `npm run action-yml` writes from this table; a test keeps
// the two in sync).
//
// Kinds:
// - setting: an input, or a top-level key of baton.yml. Precedence: input > baton.yml > default.
// - input:   what this run does (command, release...): inputs only.
// - trust:   decides what the workflow trusts or runs on the hosts. Inputs only, because baton.yml is read
//            from the checked-out commit, which a pull request can change.
// - secret:  inputs only, masked.
//
// The runner passes every `default:` of action.yml as an INPUT_* variable, so Baton cannot tell a
// default from a value the user wrote. Settings that baton.yml may set therefore declare no default in
// action.yml (their description says it); Baton applies `default` itself.

export type SettingKind = 'setting' | 'input' | 'trust' | 'secret';

export interface SettingSpec {
  kind: SettingKind;
  /** What Baton uses when neither an input nor baton.yml gives a value. */
  default: string;
  /** action.yml's description. */
  doc: string;
  /** What action.yml declares as default, when it is not `default` (e.g. an expression). */
  declared?: string;
}

const setting = (value: string, doc: string): SettingSpec => ({ kind: 'setting', default: value, doc });
const input = (value: string, doc: string, declared?: string): SettingSpec => ({
  kind: 'input',
  default: value,
  doc,
  ...(declared === undefined ? {} : { declared }),
});
const trust = (value: string, doc: string): SettingSpec => ({ kind: 'trust', default: value, doc });
const secret = (doc: string, declared?: string): SettingSpec => ({
  kind: 'secret',
  default: '',
  doc,
  ...(declared === undefined ? {} : { declared }),
});

export const SETTINGS = {
  command: input(
    'deploy',
    'What to do - deploy, rollback, destroy, plan (dry run), status or prune-previews (remove previews whose pull requests are closed).',
  ),
  release: input(
    '',
    'With rollback, the release id to go back to (default - the previous successful release).',
  ),
  confirm: input('', 'With destroy, the app name, to confirm.'),
  // No declared default: an explicitly named config file must exist, baton.yml is read when it exists.
  config: input(
    'baton.yml',
    'Path of a YAML file with more settings, inside the workspace (inputs win over it). Default - baton.yml, read when it exists.',
    '',
  ),
  app: setting(
    '',
    'App name (a-z, 0-9, -; not ending in -pr-NUMBER, kept for previews). Names containers, the nginx file and the state dir. Default - the repository name.',
  ),
  environment: setting(
    'production',
    'GitHub environment of the deployment (production_environment when it is `production`). Default - production.',
  ),
  image: setting(
    '',
    'Image repository to push to, e.g. ghcr.io/acme/web (default ghcr.io/OWNER/REPO). Baton tags it with the commit SHA. With build - false, the full reference to deploy (with tag or digest).',
  ),
  build: setting(
    'true',
    'Build the image in the runner (true) or deploy an existing image (false). Default - true.',
  ),
  context: setting('.', 'Docker build context, relative to the workspace. Default - the workspace (.).'),
  dockerfile: setting('', 'Dockerfile path relative to the workspace. Default - CONTEXT/Dockerfile.'),
  'build-args': setting('', 'Build arguments, one KEY=VALUE per line.'),
  target: setting('', 'Build stage to build (docker build --target). Default - the last stage.'),
  'cache-from': setting(
    '',
    'External cache sources for buildx, one per line, as docker/build-push-action spells them (e.g. type=gha, type=registry,ref=IMAGE:cache).',
  ),
  'cache-to': setting(
    '',
    'Cache export destinations for buildx, one per line (e.g. type=gha,mode=max, type=registry,ref=IMAGE:cache).',
  ),
  'build-secrets': secret(
    'Secrets for the build (RUN --mount=type=secret,id=NAME), one NAME=VALUE per line. Masked; never given to the running app.',
  ),
  'registry-username': setting('', 'Registry user. For ghcr.io the default is the workflow actor.'),
  'registry-password': secret('Registry password or token. For ghcr.io the default is github-token.'),
  'github-token': secret(
    'Token for GitHub (and ghcr.io when no registry password is given).',
    '${{ github.token }}',
  ),
  hosts: trust('', 'Target hosts, one per line or comma-separated, as user@host or user@host:port.'),
  'ssh-key': secret(
    'Private SSH key (PEM or OpenSSH format) that can log in to every host. Pass it from a secret.',
  ),
  'ssh-key-passphrase': secret('Passphrase of ssh-key, when the key is encrypted.'),
  'known-hosts': trust(
    '',
    'known_hosts lines for the hosts (ssh-keyscan output). Unknown or changed keys are refused.',
  ),
  'trust-first-use': trust(
    'false',
    'Accept a host that no known-hosts line names (its fingerprint and the line to pin are logged). A host that any line names is never trusted on first use.',
  ),
  'app-port': setting(
    '80',
    'Port the app listens on inside the container. Also passed to the app as PORT. Default - 80.',
  ),
  domain: setting('', 'Host name nginx routes to the app (server_name).'),
  env: setting('', 'Plain environment variables for the app, one KEY=VALUE per line.'),
  secrets: secret(
    'Secret environment variables, one KEY=VALUE per line, values verbatim. Masked, and sent to hosts in a file of mode 600.',
  ),
  checks: setting(
    '',
    'A Dokku CHECKS file or an app.json with healthchecks, relative to the workspace. Default - CONTEXT/app.json (when it declares healthchecks.web), else CONTEXT/CHECKS, else the default checks.',
  ),
  'healthcheck-path': setting(
    '',
    'Kamal-style check - this path must answer 2xx within ready-timeout. Replaces CHECKS/app.json.',
  ),
  'skip-checks': setting(
    'false',
    'Move traffic without any check (as DOKKU_SKIP_ALL_CHECKS). Warned in the log and summary. Default - false.',
  ),
  'checks-timing': setting(
    'fast',
    "fast (poll, traffic moves as soon as checks pass, within Dokku's budget) or dokku (Dokku's exact timing). Default - fast.",
  ),
  'default-checks-wait': setting(
    '10',
    'Without declared checks, seconds the new container must stay up (as DOKKU_DEFAULT_CHECKS_WAIT). Default - 10.',
  ),
  'ready-path': setting('/', 'Path polled until the app answers HTTP with a status below 500. Default - /.'),
  'ready-timeout': setting(
    '60',
    'Seconds the new container has to become ready before the deploy fails. Default - 60.',
  ),
  'retire-after': setting(
    '60',
    'Seconds in-flight requests to the old release get to finish after the hand-over; what is still open then (long requests, WebSockets) is closed. With nginx-handover reload, the old container keeps running this long. Default - 60.',
  ),
  'skip-canary': setting(
    'auto',
    'Move all traffic at once after the checks (true, warned for production), or in canary steps judged by live traffic (false). Default - auto - the canary, except for previews; a first deploy (nothing to compare with) always moves at once.',
  ),
  'canary-steps': setting(
    '10,25,50,100',
    'Shares of traffic the new release gets, in order, in steps of 5 (percent); 100 is added when missing. Default - 10,25,50,100.',
  ),
  'canary-step-seconds': setting(
    '60',
    "How long each canary step's traffic is watched before the next step (Flagger's interval). Default - 60.",
  ),
  'canary-check-seconds': setting(
    '10',
    'How often the figures are read and judged during a step and the cooldown (each check judges the traffic since the last check that reached a verdict). Default - 10.',
  ),
  'canary-failure-limit': setting(
    '2',
    "Failing checks in a row that roll the new release back (Flagger's threshold, Argo's failureLimit). Default - 2.",
  ),
  'canary-min-requests': setting(
    '20',
    'Least requests the new release must serve in a step for a verdict; fewer - the step waits up to as long again, then canary-on-quiet decides. Default - 20.',
  ),
  'canary-on-quiet': setting(
    'promote',
    'A step that still has too few requests for a verdict - promote (go on, with a warning) or fail (roll back). Default - promote.',
  ),
  'canary-max-error-rate': setting(
    '1',
    "Highest share of 5xx answers of the new release, percent (Flagger's request-success-rate of 99%). Default - 1.",
  ),
  'canary-max-error-rise': setting(
    '0.5',
    "Highest rise of the new release's 5xx share over the old release's in the same window, in points. Default - 0.5.",
  ),
  'canary-max-p99': setting(
    '500',
    "Highest p99 response time of the new release, ms (Flagger's request-duration of 500 ms). Default - 500.",
  ),
  'canary-max-p99-ratio': setting(
    '1.2',
    "Highest p99 of the new release relative to the old release's in the same window (within 20 ms always passes). Default - 1.2.",
  ),
  'canary-max-cpu': setting(
    '',
    'Highest CPU use of a new container, percent of one core (docker stats), e.g. 150. Default - none.',
  ),
  'canary-max-memory': setting(
    '',
    'Highest memory use of a new container (docker stats), e.g. 512m. Default - none.',
  ),
  'canary-cooldown': setting(
    '300',
    'Seconds the runner keeps watching the new release at 100% (rolling back by itself if it degrades) before the old one retires; 0 - none. Billed as Actions minutes. Default - 300.',
  ),
  'canary-cooldown-watch': setting(
    'runner',
    'Who watches the cooldown - runner (the job waits and watches; billed minutes) or host (a process on each host watches the new release, rolls back by itself, and the job ends at 100%; the next deploy or status shows the outcome). Default - runner.',
  ),
  'canary-cooldown-token': secret(
    'With canary-cooldown-watch host - a token the hosts use to set the GitHub deployment to failure when their watch rolls back (deployments - write; github.token expires with the job, so use a GitHub App or fine-grained token). Kept on each host in a file of mode 600 only while the watch runs. Default - none (the deployment is not updated from the host).',
  ),
  'nginx-listen': setting(
    '80',
    "What the app's nginx server listens on (nginx `listen` value), e.g. 80 or 127.0.0.1:8080. Default - 80.",
  ),
  // Trust, not setting: these name files on the hosts that nginx (run by root) loads as key material or
  // serves to anyone, and baton.yml comes from a commit a pull request can change.
  'tls-certificate': trust(
    '',
    'HTTPS - path on the hosts of the certificate chain (PEM), e.g. /etc/letsencrypt/live/DOMAIN/fullchain.pem. With tls-certificate-key, nginx serves the app on tls-listen and redirects plain HTTP to it.',
  ),
  'tls-certificate-key': trust(
    '',
    'HTTPS - path on the hosts of the private key (PEM) of tls-certificate, e.g. /etc/letsencrypt/live/DOMAIN/privkey.pem.',
  ),
  'tls-listen': setting(
    '443',
    'What the HTTPS server listens on when tls-certificate is set (nginx `listen` value), e.g. 443 or 127.0.0.1:8443. Default - 443.',
  ),
  'acme-webroot': trust(
    '',
    'Directory on the hosts served at /.well-known/acme-challenge/ over plain HTTP (never redirected), for certbot certonly --webroot -w DIR.',
  ),
  'nginx-conf-dir': trust(
    '/etc/nginx/conf.d',
    "Directory on the hosts where nginx includes the app's server file.",
  ),
  'nginx-handover': setting(
    'sockets',
    'How traffic moves at a hand-over - sockets (links to per-release sockets, no nginx reload, weights; default) or reload (rewrite the site file and reload nginx, for hosts where nginx cannot reach nginx-run-dir). Default - sockets.',
  ),
  'nginx-run-dir': trust(
    '/run/baton',
    "Directory on the hosts for the reload-free hand-over's links and per-release forwarder sockets (nginx's workers must be able to reach it). At most 40 characters.",
  ),
  'nginx-log-dir': trust(
    '/var/log/nginx',
    "Directory on the hosts where nginx writes each app's traffic log (baton-APP.traffic.log), read for per-release figures.",
  ),
  'nginx-test-command': trust('nginx -t', 'Command that checks the nginx configuration on the hosts.'),
  'nginx-reload-command': trust('nginx -s reload', 'Command that reloads nginx gracefully on the hosts.'),
  'state-dir': trust(
    '/var/lib/baton',
    "Directory on the hosts for Baton's files (env files, release records).",
  ),
  'keep-releases': setting(
    '5',
    'Successful releases whose containers and images stay on the hosts for rollbacks. Default - 5.',
  ),
  'lock-timeout': setting(
    '600',
    'Seconds a deploy waits for another deploy of the app on the same host to finish. Default - 600.',
  ),
  memory: setting(
    '',
    'Memory limit of the app container (docker run --memory), e.g. 512m or 1g. Default - none.',
  ),
  cpus: setting('', 'CPU limit of the app container (docker run --cpus), e.g. 0.5 or 2. Default - none.'),
  preview: setting(
    'auto',
    'PR previews - auto (on for pull_request events when preview-domain is set), true (the same, and preview-domain is required) or false (pull_request events deploy like any other). Default - auto.',
  ),
  'preview-domain': setting(
    '',
    'Host name template of PR previews, e.g. pr-{number}.preview.example.com. Placeholders - {number}, {app}, {branch} (made DNS-safe).',
  ),
  'preview-hosts': trust('', 'Hosts for previews (user@host[:port], one per line). Default - hosts.'),
  'preview-env': setting('', 'Environment of previews, KEY=VALUE per line, set over env.'),
  'preview-secrets': secret(
    'Secret environment of previews, KEY=VALUE per line. Previews never get secrets unless preview-inherit-secrets is true.',
  ),
  'preview-inherit-secrets': trust(
    'false',
    'Give previews the production secrets too (preview-secrets win over them).',
  ),
  'preview-allow-forks': trust(
    'false',
    'Act on pull requests from forks at all (any command; refused by default). Their code then runs on your servers - read the README before turning this on.',
  ),
  'preview-memory': setting('', 'Memory limit of preview containers. Default - memory.'),
  'preview-cpus': setting('', 'CPU limit of preview containers. Default - cpus.'),
  'max-previews': setting(
    '10',
    'Most live previews of the app per host; a new one beyond it fails. 0 - no limit. Default - 10.',
  ),
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** The outputs main sets, with action.yml's descriptions. */
export const OUTPUTS = {
  url: "The app's URL.",
  image: 'The deployed image, with its digest when Baton pushed it.',
  digest: 'The digest of the image Baton built and pushed (sha256:...), or of the image deployed when known.',
  release: 'The release id of this deploy (with status, the current release).',
  'previous-release': 'The release that served before this deploy or rollback.',
  'deployment-id': 'The id of the GitHub deployment Baton created.',
} as const;

export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}

/** The default action.yml declares for a setting ('' = none; see the comment at the top). */
export function declaredDefault(name: SettingName): string {
  const spec: SettingSpec = SETTINGS[name];
  if (spec.declared !== undefined) return spec.declared;
  return spec.kind === 'setting' ? '' : spec.default;
}

/** Whether baton.yml may set it; when not, why (for the error that names the file:line). */
export function fileRefusal(name: SettingName): string | undefined {
  switch (SETTINGS[name].kind) {
    case 'setting':
      return undefined;
    case 'secret':
      return 'is secret: pass it as an input from a GitHub secret';
    case 'trust':
      return 'decides what the workflow trusts, and baton.yml comes from the checked-out commit (a pull request can change it): set it as an input in the workflow';
    case 'input':
      return 'says what this run does: set it as an input in the workflow';
  }
}
