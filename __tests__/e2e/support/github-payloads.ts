/**
 * Real webhook payloads for GITHUB_EVENT_PATH, from @octokit/webhooks-examples: its main file
 * (api.github.com/index.json) is an array of { name, actions, description, properties, examples }, one entry per
 * event, with several examples per event (e.g. pull_request has 29, two or three per action, some sent to an
 * app installation or an organization, some not).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Payload = Record<string, unknown>;

interface WebhookDefinition {
  name: string;
  actions: string[];
  examples: Payload[];
}

let definitions: WebhookDefinition[] | undefined;

function load(): WebhookDefinition[] {
  if (!definitions) {
    const file = createRequire(__filename).resolve('@octokit/webhooks-examples');
    definitions = JSON.parse(readFileSync(file, 'utf8')) as WebhookDefinition[];
  }
  return definitions;
}

/**
 * A deep copy of GitHub's first example of the event (with the action, if given). For `push` that is the first
 * push to a branch (the package's first example pushes a tag).
 */
export function payload(event: string, action?: string): Payload {
  const definition = load().find((candidate) => candidate.name === event);
  if (!definition) {
    throw new Error(
      `no webhook examples for ${event}: there are ${load()
        .map((d) => d.name)
        .join(', ')}`,
    );
  }
  let examples = definition.examples.filter((example) => action === undefined || example.action === action);
  if (!examples.length) {
    const actions = [...new Set(definition.examples.map((example) => example.action))].join(', ');
    throw new Error(`no ${event} example with action ${action}: the examples have ${actions || 'no action'}`);
  }
  if (event === 'push') {
    const branch = examples.filter(
      (example) => String(example.ref).startsWith('refs/heads/') && !example.deleted,
    );
    if (branch.length) examples = branch;
  }
  return structuredClone(examples[0] as Payload);
}

/** Objects merge key by key; anything else (arrays too) replaces; `undefined` deletes the key. */
export function deepMerge(target: Payload, patch: Payload): Payload {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (value === undefined) {
      delete target[key];
    } else if (isObject(value) && isObject(current)) {
      deepMerge(current, value);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
}

const isObject = (value: unknown): value is Payload =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

let written = 0;

/**
 * Writes payload(event, action), with patch deep-merged into it, to a new file in dir and returns its path
 * (for GITHUB_EVENT_PATH). E.g. a PR from a fork:
 * `writePayload(dir, 'pull_request', 'opened', { number: 7, pull_request: { number: 7, head: { sha, repo: { full_name: 'fork/web' } } } })`.
 */
export function writePayload(dir: string, event: string, action?: string, patch: Payload = {}): string {
  const file = join(dir, `event-${event}${action ? `-${action}` : ''}-${process.pid}-${++written}.json`);
  writeFileSync(file, JSON.stringify(deepMerge(payload(event, action), patch), null, 2));
  return file;
}

/**
 * The runner's variables for a run started by a real event against the stand-in at `api`: the payload
 * (with `patch`) in a temporary GITHUB_EVENT_PATH, the repository acme/web, the commit and run id.
 */
export function eventEnv(options: {
  api: string;
  event: string;
  action?: string;
  patch?: Payload;
  sha: string;
  runId: number;
}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-event-'));
  return {
    GITHUB_SHA: options.sha,
    GITHUB_API_URL: options.api,
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: writePayload(dir, options.event, options.action, options.patch),
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_RUN_ID: String(options.runId),
  };
}
