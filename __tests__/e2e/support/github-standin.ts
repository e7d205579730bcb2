/**
 * A local stand-in for the GitHub REST API (api.github.com), for tests that run the action with
 * GITHUB_API_URL pointing here. Every request is checked against GitHub's official OpenAPI description
 * (github-openapi.json beside this file: cut from @octokit/openapi's api.github.com.json by
 * scripts/trim-openapi.mjs); whatever the description rejects is answered the way GitHub would and listed
 * in `violations`. The operations Baton uses are implemented with state (deployments, their statuses, PR
 * comments, pull requests); every other operation GitHub has answers 501, and unknown routes 404.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  operationId?: string;
  status: number;
}

export interface PullSettings {
  state?: 'open' | 'closed';
  merged?: boolean;
  title?: string;
  headSha?: string;
  headRef?: string;
  baseRef?: string;
  /** owner/name of the head repository: another than the base repository makes a pull request from a fork. */
  headRepo?: string;
}

export interface StandIn {
  /** e.g. http://127.0.0.1:PORT (use as GITHUB_API_URL). */
  url: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** Every problem the description finds with a request, prefixed with the request line. */
  violations: string[];
  /** Responses of the stand-in itself that do not match the description: a bug here, not in the action. */
  responseViolations: string[];
  /** Created deployments, as returned (environment and updated_at follow later statuses, as on GitHub). */
  deployments: Array<Record<string, unknown>>;
  /** Deployment id -> its statuses in the order they were created (including auto_inactive ones). */
  statuses: Map<number, Array<Record<string, unknown>>>;
  /** Issue and PR comments, as returned plus issue_number; edits show, deleted ones go. */
  comments: Array<{ id: number; issue_number: number; body: string; user: { login: string } }>;
  /**
   * The next `times` (default 1) requests with this method whose path matches (and that the description
   * accepts) answer `status` with GitHub's error JSON, {message, documentation_url, status}.
   */
  failNext(method: string, pathRegex: RegExp, status: number, times?: number): void;
  /** Sets a pull request's state (every number is an open pull request until told otherwise). */
  setPullState(number: number, state: 'open' | 'closed'): void;
  setPull(number: number, settings: PullSettings): void;
  /** Posts a comment as someone else (a user who can comment on the PR): not Baton's. */
  addComment(number: number, body: string, login: string): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** The token the action must send; without it any `token X` or `Bearer X` is accepted. */
  token?: string;
  /** Another OpenAPI file, e.g. the full node_modules/@octokit/openapi/generated/api.github.com.json. */
  descriptionFile?: string;
  /**
   * The user a personal access token belongs to. Without it the token is an installation token like
   * GITHUB_TOKEN: it acts as github-actions[bot], and GET /user answers 403 as GitHub does.
   */
  user?: string;
  /** Body properties the operation does not define are violations unless this is set (GitHub ignores them). */
  allowUnknownBodyProperties?: boolean;
}

export const API_VERSION = '2022-11-28';
/** The trimmed description beside this file, or another one (e.g. the full one) named by STANDIN_OPENAPI_FILE. */
export const DESCRIPTION_FILE = process.env.STANDIN_OPENAPI_FILE || join(__dirname, 'github-openapi.json');

// ---------------------------------------------------------------------------------------------------------
// The description: loaded once per process and file, validators compiled on first use and cached.

type JsonObject = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  /** Cut down to its name by scripts/trim-openapi.mjs. */
  trimmed: boolean;
  docsUrl: string;
  /** JSON pointer of the operation object in the description. */
  pointer: string;
  value: JsonObject;
}

interface Route {
  template: string;
  segments: string[];
  operations: Map<string, Operation>;
}

export interface DescriptionStats {
  file: string;
  bytes: number;
  openapi: string;
  /** Reading, parsing, converting and registering the description with ajv. */
  loadMs: number;
  /** Validators compiled so far and the time that took. */
  compiled: number;
  compileMs: number;
}

const DOC_ID = 'github-openapi';
const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * OpenAPI 3.0 schema -> JSON Schema (draft-07, as ajv reads it): `nullable: true` becomes a "null" type (and a
 * null enum member), or `anyOf [schema, null]` where the schema has no type of its own (allOf, oneOf...).
 * Example values are left as they are. `$ref`s stay as they are: they point into the same document, which ajv
 * holds under DOC_ID, and ajv follows them when it compiles a validator.
 */
function toJsonSchema(node: unknown, namesAreKeys = false): unknown {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item));
  if (!node || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // In `properties` (and the like) keys are names, so a property called "example" is still a schema.
    if (!namesAreKeys && (key === 'example' || key === 'examples')) out[key] = value;
    else out[key] = toJsonSchema(value, !namesAreKeys && ['properties', 'patternProperties'].includes(key));
  }
  if (namesAreKeys) return out;
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      const { description, title, ...rest } = out;
      return {
        ...(description ? { description } : {}),
        ...(title ? { title } : {}),
        anyOf: [rest, { type: 'null' }],
      };
    }
  } else if (out.nullable === false) {
    delete out.nullable;
  }
  return out;
}

class Description {
  readonly stats: DescriptionStats;
  readonly routes: Route[] = [];
  private readonly doc: JsonObject;
  /** For bodies and responses: types as they are. */
  private readonly strict: Ajv;
  /** For path and query parameters, which arrive as strings: "12" is an integer there. */
  private readonly coercing: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly file: string) {
    const started = performance.now();
    const text = readFileSync(file, 'utf8');
    const raw = JSON.parse(text) as JsonObject;
    if (typeof raw.openapi !== 'string' || !raw.openapi.startsWith('3.0.')) {
      throw new Error(`${file}: expected an OpenAPI 3.0 description, got ${String(raw.openapi)}`);
    }
    this.doc = { paths: toJsonSchema(raw.paths), components: toJsonSchema(raw.components) };
    const make = (coerceTypes: boolean) => {
      // strict: false lets OpenAPI's own keywords (example, discriminator, x-github...) through unremarked.
      const ajv = new Ajv({
        strict: false,
        allErrors: true,
        verbose: true,
        validateSchema: false,
        coerceTypes,
      });
      addFormats(ajv);
      // GitHub answers "" for URLs never set (a deployment status's target_url, log_url, environment_url),
      // though its description gives them `format: uri`.
      const uri = ajv.formats.uri;
      if (typeof uri !== 'function') throw new Error('ajv-formats no longer gives "uri" as a function');
      ajv.addFormat('uri', (value: string) => value === '' || uri(value));
      ajv.addSchema({ $id: DOC_ID, ...this.doc });
      return ajv;
    };
    this.strict = make(false);
    this.coercing = make(true);
    for (const [template, item] of Object.entries(raw.paths as Record<string, JsonObject>)) {
      const route: Route = { template, segments: template.split('/').slice(1), operations: new Map() };
      for (const [method, value] of Object.entries(item as Record<string, JsonObject>)) {
        if (method.startsWith('x-') || method === 'parameters') continue;
        route.operations.set(method.toUpperCase(), {
          method: method.toUpperCase(),
          template,
          operationId: String(value.operationId),
          trimmed: value['x-trimmed'] === true,
          docsUrl: String(
            (value.externalDocs as { url?: string } | undefined)?.url ?? 'https://docs.github.com/rest',
          ),
          pointer: `#/paths/${escapePointer(template)}/${method}`,
          value,
        });
      }
      this.routes.push(route);
    }
    this.stats = {
      file,
      bytes: text.length,
      openapi: raw.openapi,
      loadMs: performance.now() - started,
      compiled: 0,
      compileMs: 0,
    };
  }

  /** The value at a "#/..." pointer of the converted document. */
  resolve(pointer: string): unknown {
    let node: unknown = this.doc;
    for (const part of pointer.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      node = (node as JsonObject | undefined)?.[key];
    }
    return node;
  }

  /** Follows a `$ref` (to #/components/...) if the node at pointer is one: the node and its own pointer. */
  deref(pointer: string): { node: JsonObject | undefined; pointer: string } {
    let node = this.resolve(pointer) as JsonObject | undefined;
    for (let hops = 0; typeof node?.$ref === 'string' && hops < 10; hops++) {
      pointer = node.$ref as string;
      node = this.resolve(pointer) as JsonObject | undefined;
    }
    return { node, pointer };
  }

  /** The route a concrete path belongs to: literal segments win over parameters, left to right. */
  match(path: string): { route: Route; params: Record<string, string> } | undefined {
    const segments = path.split('/').slice(1);
    let best: { route: Route; params: Record<string, string>; score: string } | undefined;
    for (const route of this.routes) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let score = '';
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const want = route.segments[i] as string;
        let got = segments[i] as string;
        try {
          got = decodeURIComponent(got);
        } catch {
          // left as sent
        }
        const param = /^\{(.+)\}$/.exec(want);
        if (param) {
          ok = got !== '';
          params[param[1] as string] = got;
          score += '0';
        } else {
          ok = want === got;
          score += '1';
        }
      }
      if (ok && (!best || score > best.score)) best = { route, params, score };
    }
    return best;
  }

  parameters(operation: Operation): Array<Parameter & { pointer: string }> {
    const list = (operation.value.parameters as unknown[] | undefined) ?? [];
    return list.map((_, i) => {
      const { node, pointer } = this.deref(`${operation.pointer}/parameters/${i}`);
      return { ...(node as unknown as Parameter), pointer };
    });
  }

  private compiled(key: string, ajv: Ajv, schema: () => JsonObject): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      const started = performance.now();
      validate = ajv.compile(schema());
      this.stats.compileMs += performance.now() - started;
      this.stats.compiled++;
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** Validates the path or query parameters (strings, coerced in place to the types the description gives). */
  parameterValidator(operation: Operation, where: 'path' | 'query'): ValidateFunction {
    return this.compiled(`${operation.pointer} ${where}`, this.coercing, () => {
      const params = this.parameters(operation).filter((param) => param.in === where);
      return {
        type: 'object',
        properties: Object.fromEntries(
          params.map((param) => [param.name, { $ref: `${DOC_ID}${param.pointer}/schema` }]),
        ),
        required: params.filter((param) => param.required).map((param) => param.name),
      };
    });
  }

  /** The JSON request body: whether it is required, its schema and a validator (undefined without one). */
  requestBody(
    operation: Operation,
  ): { required: boolean; schema: JsonObject | undefined; validate: ValidateFunction } | undefined {
    if (!operation.value.requestBody) return undefined;
    const { node, pointer } = this.deref(`${operation.pointer}/requestBody`);
    const schemaPointer = `${pointer}/content/${escapePointer('application/json')}/schema`;
    if (!this.resolve(schemaPointer)) return undefined;
    return {
      required: node?.required === true,
      schema: this.deref(schemaPointer).node,
      validate: this.compiled(schemaPointer, this.strict, () => ({ $ref: `${DOC_ID}${schemaPointer}` })),
    };
  }

  /** A validator for the JSON response with this status, or undefined where the description has none. */
  responseValidator(operation: Operation, status: number): ValidateFunction | undefined {
    const { pointer } = this.deref(`${operation.pointer}/responses/${status}`);
    const schemaPointer = `${pointer}/content/${escapePointer('application/json')}/schema`;
    if (!this.resolve(schemaPointer)) return undefined;
    return this.compiled(schemaPointer, this.strict, () => ({ $ref: `${DOC_ID}${schemaPointer}` }));
  }

  /** An example value from the description's components (a deep copy). */
  example(name: string): JsonObject {
    const example = this.resolve(`#/components/examples/${escapePointer(name)}`) as { value?: JsonObject };
    if (!example?.value) throw new Error(`${this.file}: no example ${name}`);
    return structuredClone(example.value);
  }
}

const descriptions = new Map<string, Description>();

export function loadDescription(file = DESCRIPTION_FILE): Description {
  let description = descriptions.get(file);
  if (!description) {
    description = new Description(file);
    const operations = description.routes.flatMap((route) => [...route.operations.values()]);
    const full = new Set(operations.filter((op) => !op.trimmed).map((op) => op.operationId));
    const missing = Object.keys(HANDLERS).filter((id) => !full.has(id));
    // A trimmed description keeps exactly the operations implemented here (scripts/trim-openapi.mjs, IMPLEMENTED).
    const extra = operations.some((op) => op.trimmed) ? [...full].filter((id) => !HANDLERS[id]) : [];
    if (missing.length || extra.length) {
      throw new Error(
        `${file} does not fit the stand-in: ` +
          (missing.length ? `it lacks the implemented ${missing.join(', ')}; ` : '') +
          (extra.length ? `it keeps in full the unimplemented ${extra.join(', ')}; ` : '') +
          're-run scripts/trim-openapi.mjs with its IMPLEMENTED list matching HANDLERS',
      );
    }
    descriptions.set(file, description);
  }
  return description;
}

export function descriptionStats(file = DESCRIPTION_FILE): DescriptionStats | undefined {
  return descriptions.get(file)?.stats;
}

/** ajv's errors as sentences: `body.required_contexts must be array`, with the allowed values of an enum. */
export function describeErrors(errors: ErrorObject[] | null | undefined, dataVar: string): string[] {
  return (errors ?? []).map((error) => {
    const where = error.instancePath
      .split('/')
      .slice(1)
      .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : `${path}.${key}`), dataVar);
    let text = `${where} ${error.message ?? 'is invalid'}`;
    if (error.keyword === 'enum') {
      text += ` (${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}), got ${JSON.stringify(error.data)}`;
    } else if (error.keyword === 'type') {
      text += `, got ${JSON.stringify(error.data)}`;
    }
    return text;
  });
}

// ---------------------------------------------------------------------------------------------------------
// What GitHub answers.

const ERROR_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Bad credentials',
  403: 'Resource not accessible by integration',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Validation Failed',
  429: 'API rate limit exceeded',
  500: 'Server Error',
  501: 'Not Implemented',
  502: 'Server Error',
  503: 'Service Unavailable',
};

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message = ERROR_MESSAGES[status] ?? 'Error',
  ) {
    super(message);
  }
}

function errorBody(status: number, message: string, docsUrl: string): JsonObject {
  return { message, documentation_url: docsUrl, status: String(status) };
}

/** GitHub's timestamps: seconds, UTC, no fraction. */
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const nodeId = (prefix: string, id: number) =>
  `${prefix}_kwDO${Buffer.from(`baton-standin:${id}`).toString('base64url')}`;
const fakeSha = (text: string) => createHash('sha1').update(text).digest('hex');

function user(api: string, login: string, id: number, type: 'Bot' | 'User' | 'Organization'): JsonObject {
  const base = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId(type === 'Bot' ? 'BOT' : 'U', id),
    avatar_url:
      type === 'Bot'
        ? 'https://avatars.githubusercontent.com/in/15368?v=4'
        : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: base,
    html_url: type === 'Bot' ? 'https://github.com/apps/github-actions' : `https://github.com/${login}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** The full profile GET /user answers for a personal token (public-user: no private fields). */
function profile(api: string, login: string): JsonObject {
  return {
    ...user(api, login, userId(login), 'User'),
    name: login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 1,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
  };
}

const userId = (login: string) => 5_000_000 + (parseInt(fakeSha(login).slice(0, 6), 16) % 1_000_000);

/** Who the token acts as: its user, or (an installation token) github-actions[bot]. */
const tokenUser = (state: State) =>
  state.user ? user(state.api, state.user, userId(state.user), 'User') : actionsBot(state.api);

/** Who GITHUB_TOKEN acts as: the github-actions[bot] user, through the GitHub Actions app. */
const actionsBot = (api: string) => user(api, 'github-actions[bot]', 41898282, 'Bot');
const actionsApp = (api: string): JsonObject => ({
  id: 15368,
  slug: 'github-actions',
  node_id: 'MDM6QXBwMTUzNjg=',
  owner: user(api, 'github', 9919, 'Organization'),
  name: 'GitHub Actions',
  description: 'Automate your workflow from idea to production',
  external_url: 'https://help.github.com/en/actions',
  html_url: 'https://github.com/apps/github-actions',
  created_at: '2018-07-30T09:30:17Z',
  updated_at: '2024-04-10T20:33:16Z',
  permissions: { deployments: 'write', issues: 'write', metadata: 'read', pull_requests: 'write' },
  events: ['deployment', 'deployment_status', 'issue_comment', 'pull_request', 'push'],
});

/** One page of items, and GitHub's Link header (prev, next, last, first) with the other query parameters kept. */
function paginate<T>(
  items: T[],
  query: JsonObject,
  pageUrl: string,
  rawQuery: Record<string, string>,
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(query.per_page ?? 30), 1), 100);
  const page = Math.max(Number(query.page ?? 1), 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number, rel: string) => {
    const params = new URLSearchParams({ ...rawQuery, page: String(n) });
    return `<${pageUrl}?${params}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length ? { link: links.join(', ') } : {},
  };
}

// ---------------------------------------------------------------------------------------------------------
// State and the implemented operations.

/** A pull request: one set per stand-in, shown in whichever repository is asked about. */
interface Pull {
  number: number;
  id: number;
  state: 'open' | 'closed';
  merged: boolean;
  title: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  headRepo?: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

interface State {
  api: string;
  /** The personal token's user; undefined for an installation token (github-actions[bot]). */
  user?: string;
  description: Description;
  nextId: number;
  deployments: Array<Record<string, unknown>>;
  statuses: Map<number, Array<Record<string, unknown>>>;
  comments: Array<JsonObject & { id: number; issue_number: number; body: string; user: { login: string } }>;
  pulls: Map<number, Pull>;
}

interface Context {
  state: State;
  owner: string;
  repo: string;
  path: Record<string, unknown>;
  query: JsonObject;
  rawQuery: Record<string, string>;
  pathname: string;
  body: JsonObject;
}

type Handler = (context: Context) => Reply;

const repoApi = (context: { state: State; owner: string; repo: string }) =>
  `${context.state.api}/repos/${context.owner}/${context.repo}`;

function findDeployment(context: Context): Record<string, unknown> {
  const id = Number(context.path.deployment_id);
  const found = context.state.deployments.find(
    (deployment) => deployment.id === id && deployment.repository_url === repoApi(context),
  );
  if (!found) throw new HttpError(404);
  return found;
}

function findComment(context: Context) {
  const id = Number(context.path.comment_id);
  const found = context.state.comments.find(
    (comment) => comment.id === id && String(comment.url).startsWith(`${repoApi(context)}/`),
  );
  if (!found) throw new HttpError(404);
  return found;
}

const withoutIssueNumber = ({ issue_number: _, ...comment }: JsonObject) => comment;
const newestFirst = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(b.id) - Number(a.id);

function pull(state: State, number: number): Pull {
  let found = state.pulls.get(number);
  if (!found) {
    const created = now();
    found = {
      number,
      id: state.nextId++,
      state: 'open',
      merged: false,
      title: `Pull request #${number}`,
      headSha: fakeSha(`head of #${number}`),
      headRef: `feature-${number}`,
      baseRef: 'main',
      createdAt: created,
      updatedAt: created,
      closedAt: null,
    };
    state.pulls.set(number, found);
  }
  return found;
}

/** A pull request as GitHub returns it: the description's example, made to say this one. */
function renderPull(state: State, owner: string, repo: string, pr: Pull): JsonObject {
  const api = state.api;
  const full = `${owner}/${repo}`;
  const headRepo = pr.headRepo ?? full;
  const example = JSON.stringify(state.description.example('pull-request'))
    .replaceAll('https://api.github.com', api)
    .replaceAll('octocat/Hello-World', full)
    .replaceAll('/pulls/1347', `/pulls/${pr.number}`)
    .replaceAll('/pull/1347', `/pull/${pr.number}`)
    .replaceAll('/issues/1347', `/issues/${pr.number}`);
  const out = JSON.parse(example) as JsonObject;
  const repoObject = (name: string, side: JsonObject) => {
    const [login = '', short = ''] = name.split('/');
    const copy = JSON.parse(JSON.stringify(side.repo).replaceAll(full, name)) as JsonObject;
    copy.name = short;
    copy.full_name = name;
    copy.fork = name !== full;
    copy.owner = { ...(copy.owner as JsonObject), login };
    return copy;
  };
  const head = out.head as JsonObject;
  const base = out.base as JsonObject;
  Object.assign(head, {
    label: `${headRepo.split('/')[0]}:${pr.headRef}`,
    ref: pr.headRef,
    sha: pr.headSha,
    repo: repoObject(headRepo, head),
  });
  Object.assign(base, {
    label: `${owner}:${pr.baseRef}`,
    ref: pr.baseRef,
    sha: fakeSha(`base of ${full}#${pr.number}`),
    repo: repoObject(full, base),
  });
  Object.assign(out, {
    id: pr.id,
    node_id: nodeId('PR', pr.id),
    number: pr.number,
    state: pr.state,
    locked: false,
    active_lock_reason: null,
    title: pr.title,
    statuses_url: `${api}/repos/${full}/statuses/${pr.headSha}`,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.merged ? pr.closedAt : null,
    merged: pr.merged,
    merged_by: pr.merged ? out.merged_by : null,
    mergeable: pr.state === 'open' ? true : null,
    mergeable_state: pr.state === 'open' ? 'clean' : 'unknown',
    // The description's own example has teams without `type`, which its schema requires.
    requested_teams: [],
    auto_merge: null,
    draft: false,
  });
  return out;
}

/** The fields of a pull request that only GET /pulls/{pull_number} has (not the list's pull-request-simple). */
const FULL_PULL_ONLY = [
  'merged',
  'mergeable',
  'rebaseable',
  'mergeable_state',
  'merged_by',
  'comments',
  'review_comments',
  'maintainer_can_modify',
  'commits',
  'additions',
  'deletions',
  'changed_files',
];

const HANDLERS: Record<string, Handler> = {
  'repos/create-deployment': (context) => {
    const { state, body } = context;
    const id = state.nextId++;
    const created = now();
    const environment = String(body.environment ?? 'production');
    const ref = String(body.ref);
    const url = `${repoApi(context)}/deployments/${id}`;
    const deployment: Record<string, unknown> = {
      url,
      id,
      node_id: nodeId('DE', id),
      sha: /^[0-9a-f]{40}$/.test(ref) ? ref : fakeSha(`ref ${ref}`),
      ref,
      task: String(body.task ?? 'deploy'),
      payload:
        typeof body.payload === 'object' && body.payload ? body.payload : body.payload ? body.payload : {},
      original_environment: environment,
      environment,
      description: (body.description as string | null | undefined) ?? '',
      creator: tokenUser(state),
      created_at: created,
      updated_at: created,
      statuses_url: `${url}/statuses`,
      repository_url: repoApi(context),
      transient_environment: body.transient_environment === true,
      production_environment:
        typeof body.production_environment === 'boolean'
          ? body.production_environment
          : environment === 'production',
      performed_via_github_app: state.user ? null : actionsApp(state.api),
    };
    state.deployments.push(deployment);
    state.statuses.set(id, []);
    return { status: 201, body: deployment };
  },

  'repos/list-deployments': (context) => {
    const { query } = context;
    const matching = context.state.deployments
      .filter((deployment) => deployment.repository_url === repoApi(context))
      .filter((deployment) =>
        (['sha', 'ref', 'task', 'environment'] as const).every(
          (key) => query[key] === undefined || deployment[key] === query[key],
        ),
      )
      .sort(newestFirst);
    const { page, headers } = paginate(matching, query, `${repoApi(context)}/deployments`, context.rawQuery);
    return { status: 200, body: page, headers };
  },

  'repos/get-deployment': (context) => ({ status: 200, body: findDeployment(context) }),

  'repos/create-deployment-status': (context) => {
    const { state, body } = context;
    const deployment = findDeployment(context);
    const id = state.nextId++;
    const created = now();
    const logUrl = String(body.log_url ?? body.target_url ?? '');
    const environment = String(body.environment ?? deployment.environment);
    if (body.environment !== undefined && body.environment !== deployment.environment) {
      deployment.environment = environment;
    }
    deployment.updated_at = created;
    const status: Record<string, unknown> = {
      url: `${deployment.url}/statuses/${id}`,
      id,
      node_id: nodeId('DES', id),
      state: body.state,
      creator: tokenUser(state),
      description: String(body.description ?? ''),
      environment,
      target_url: logUrl,
      created_at: created,
      updated_at: created,
      deployment_url: deployment.url,
      repository_url: repoApi(context),
      environment_url: String(body.environment_url ?? ''),
      log_url: logUrl,
      performed_via_github_app: state.user ? null : actionsApp(state.api),
    };
    state.statuses.get(deployment.id as number)?.push(status);
    // auto_inactive (default true): prior non-transient, non-production deployments to the same environment
    // whose latest status is success get an inactive status.
    if (body.state === 'success' && body.auto_inactive !== false) {
      for (const other of state.deployments) {
        if (other === deployment || other.repository_url !== deployment.repository_url) continue;
        if (other.environment !== environment || (other.id as number) > (deployment.id as number)) continue;
        if (other.transient_environment || other.production_environment) continue;
        const history = state.statuses.get(other.id as number) ?? [];
        if (history.at(-1)?.state !== 'success') continue;
        const inactiveId = state.nextId++;
        history.push({
          ...status,
          url: `${other.url}/statuses/${inactiveId}`,
          id: inactiveId,
          node_id: nodeId('DES', inactiveId),
          state: 'inactive',
          description: '',
          deployment_url: other.url,
          environment: other.environment,
          target_url: '',
          log_url: '',
          environment_url: '',
        });
        other.updated_at = created;
      }
    }
    return { status: 201, body: status };
  },

  'repos/list-deployment-statuses': (context) => {
    const deployment = findDeployment(context);
    const all = [...(context.state.statuses.get(deployment.id as number) ?? [])].sort(newestFirst);
    const { page, headers } = paginate(all, context.query, `${deployment.url}/statuses`, context.rawQuery);
    return { status: 200, body: page, headers };
  },

  'repos/get-deployment-status': (context) => {
    const deployment = findDeployment(context);
    const id = Number(context.path.status_id);
    const status = context.state.statuses.get(deployment.id as number)?.find((s) => s.id === id);
    if (!status) throw new HttpError(404);
    return { status: 200, body: status };
  },

  'issues/list-comments': (context) => {
    const number = Number(context.path.issue_number);
    const since = context.query.since ? Date.parse(String(context.query.since)) : undefined;
    const matching = context.state.comments
      .filter(
        (comment) => comment.issue_number === number && String(comment.url).startsWith(repoApi(context)),
      )
      .filter((comment) => since === undefined || Date.parse(String(comment.updated_at)) >= since)
      .sort((a, b) => a.id - b.id);
    const { page, headers } = paginate(
      matching,
      context.query,
      `${repoApi(context)}/issues/${number}/comments`,
      context.rawQuery,
    );
    return { status: 200, body: page.map(withoutIssueNumber), headers };
  },

  'issues/create-comment': (context) => {
    const { state } = context;
    const number = Number(context.path.issue_number);
    const id = state.nextId++;
    const created = now();
    const kind = state.pulls.has(number) ? 'pull' : 'issues';
    const comment = {
      id,
      node_id: nodeId('IC', id),
      url: `${repoApi(context)}/issues/comments/${id}`,
      html_url: `https://github.com/${context.owner}/${context.repo}/${kind}/${number}#issuecomment-${id}`,
      body: String(context.body.body),
      user: tokenUser(state) as JsonObject & { login: string },
      created_at: created,
      updated_at: created,
      issue_url: `${repoApi(context)}/issues/${number}`,
      author_association: 'NONE',
      performed_via_github_app: state.user ? null : actionsApp(state.api),
      reactions: {
        url: `${repoApi(context)}/issues/comments/${id}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        confused: 0,
        heart: 0,
        hooray: 0,
        eyes: 0,
        rocket: 0,
      },
      issue_number: number,
    };
    state.comments.push(comment);
    return { status: 201, body: withoutIssueNumber(comment) };
  },

  'issues/get-comment': (context) => ({ status: 200, body: withoutIssueNumber(findComment(context)) }),

  'issues/update-comment': (context) => {
    const comment = findComment(context);
    comment.body = String(context.body.body);
    comment.updated_at = now();
    return { status: 200, body: withoutIssueNumber(comment) };
  },

  'issues/delete-comment': (context) => {
    const comment = findComment(context);
    context.state.comments.splice(context.state.comments.indexOf(comment), 1);
    return { status: 204 };
  },

  'users/get-authenticated': (context) => {
    if (!context.state.user) throw new HttpError(403, 'Resource not accessible by integration');
    return { status: 200, body: profile(context.state.api, context.state.user) };
  },

  'pulls/get': (context) => ({
    status: 200,
    body: renderPull(
      context.state,
      context.owner,
      context.repo,
      pull(context.state, Number(context.path.pull_number)),
    ),
  }),

  'pulls/list': (context) => {
    const { query, state } = context;
    const wanted = String(query.state ?? 'open');
    const sort = String(query.sort ?? 'created');
    const direction = String(query.direction ?? (sort === 'created' ? 'desc' : 'asc'));
    const key = sort === 'updated' ? 'updatedAt' : 'createdAt';
    const headOwner = (pr: Pull) => (pr.headRepo ?? context.owner).split('/')[0];
    const matching = [...state.pulls.values()]
      .filter((pr) => wanted === 'all' || pr.state === wanted)
      .filter((pr) => query.base === undefined || pr.baseRef === query.base)
      .filter((pr) => query.head === undefined || `${headOwner(pr)}:${pr.headRef}` === query.head)
      .sort((a, b) => (a[key] === b[key] ? a.number - b.number : a[key] < b[key] ? -1 : 1))
      .map((pr) => renderPull(state, context.owner, context.repo, pr));
    if (direction === 'desc') matching.reverse();
    const { page, headers } = paginate(matching, query, `${repoApi(context)}/pulls`, context.rawQuery);
    const simple = page.map((pr) => {
      for (const key of FULL_PULL_ONLY) delete pr[key];
      return pr;
    });
    return { status: 200, body: simple, headers };
  },
};

// ---------------------------------------------------------------------------------------------------------
// The server.

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const description = loadDescription(options.descriptionFile);
  const failures: Array<{ method: string; path: RegExp; status: number; times: number }> = [];
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const responseViolations: string[] = [];
  let rateRemaining = 5000;
  const rateReset = Math.floor(Date.now() / 1000) + 3600;

  const state: State = {
    api: '',
    user: options.user,
    description,
    nextId: 1_000_001,
    deployments: [],
    statuses: new Map(),
    comments: [],
    pulls: new Map(),
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', state.api);
    const rawQuery = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(
      Object.keys(request.headers).map((name) => [name, header(request, name) ?? '']),
    );
    const text = await readBody(request);
    let body: unknown = text === '' ? undefined : text;
    let bodyIsJson = false;
    if (text !== '') {
      try {
        body = JSON.parse(text);
        bodyIsJson = true;
      } catch {
        // recorded as text
      }
    }

    const line = `${method} ${url.pathname}${url.search}`;
    const problems: string[] = [];
    let reply: Reply | undefined;
    const fail = (status: number, message: string, docsUrl: string) => {
      reply ??= { status, body: errorBody(status, message, docsUrl) };
    };

    const matched = description.match(url.pathname);
    const operation = matched?.route.operations.get(method);
    const implemented = !!operation && !operation.trimmed && HANDLERS[operation.operationId] !== undefined;
    if (!matched) {
      problems.push(`unknown route: no path in the description matches ${url.pathname}`);
      fail(404, 'Not Found', 'https://docs.github.com/rest');
    } else if (!operation) {
      const allowed = [...matched.route.operations.keys()].join(', ');
      problems.push(`${matched.route.template} has no ${method} in the description (only ${allowed})`);
      fail(404, 'Not Found', 'https://docs.github.com/rest');
    }

    if (operation && matched) {
      const docs = operation.docsUrl;
      // Authorization: `token X` or `Bearer X`.
      const authorization = headers.authorization;
      const credentials = /^(?:token|bearer) +(\S+)$/i.exec(authorization ?? '');
      if (!authorization) {
        problems.push('no Authorization header');
        fail(401, 'Requires authentication', docs);
      } else if (!credentials) {
        const scheme = authorization.split(' ')[0];
        problems.push(`Authorization header is not "token X" or "Bearer X" (it starts with "${scheme}")`);
        fail(401, 'Bad credentials', docs);
      } else if (options.token !== undefined && credentials[1] !== options.token) {
        problems.push('Authorization header carries another token than the one the stand-in was given');
        fail(401, 'Bad credentials', docs);
      }
      const version = headers['x-github-api-version'];
      if (version !== undefined && version !== API_VERSION) {
        problems.push(
          `X-GitHub-Api-Version ${version}: the description and the stand-in are for ${API_VERSION}`,
        );
        fail(
          400,
          `API version ${version} is not supported by this stand-in.`,
          'https://docs.github.com/rest/about-the-rest-api/api-versions',
        );
      }

      if (!implemented) {
        problems.push(
          `not implemented in the stand-in: ${method} ${operation.template} (${operation.operationId})`,
        );
        fail(501, `Not implemented in the stand-in: ${operation.operationId}`, docs);
      }
    }

    // Parameters and body, for the operations implemented here (a trimmed description has no more).
    if (operation && matched && implemented) {
      const docs = operation.docsUrl;
      const pathParams: JsonObject = { ...matched.params };
      const validatePath = description.parameterValidator(operation, 'path');
      if (!validatePath(pathParams)) {
        problems.push(
          ...describeErrors(validatePath.errors, 'path').map((text) => `bad path parameter: ${text}`),
        );
        fail(404, 'Not Found', docs);
      }
      const known = new Set(
        description
          .parameters(operation)
          .filter((param) => param.in === 'query')
          .map((param) => param.name),
      );
      const query: JsonObject = {};
      for (const [name, value] of Object.entries(rawQuery)) {
        if (known.has(name)) query[name] = value;
        else problems.push(`query parameter ${name} is not in the description of ${operation.operationId}`);
      }
      const validateQuery = description.parameterValidator(operation, 'query');
      if (!validateQuery(query)) {
        problems.push(
          ...describeErrors(validateQuery.errors, 'query').map((text) => `bad query parameter: ${text}`),
        );
        fail(422, 'Validation Failed', docs);
      }

      const requestBody = description.requestBody(operation);
      if (text !== '' && !bodyIsJson) {
        problems.push(`body is not JSON: ${text.slice(0, 80)}`);
        fail(400, 'Problems parsing JSON', docs);
      } else if (!requestBody && body !== undefined && !['GET', 'DELETE'].includes(method)) {
        problems.push(`${operation.operationId} takes no body, got ${text.slice(0, 80)}`);
      } else if (requestBody && body === undefined && requestBody.required) {
        problems.push(`${operation.operationId} requires a JSON body, got none`);
        fail(400, 'Problems parsing JSON', docs);
      } else if (requestBody && body !== undefined) {
        const contentType = headers['content-type'] ?? '';
        if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
          problems.push(`body sent as ${contentType || 'no Content-Type'}, not application/json`);
        }
        if (!requestBody.validate(body)) {
          const errors = describeErrors(requestBody.validate.errors, 'body');
          problems.push(...errors.map((text) => `body does not match the description: ${text}`));
          fail(422, `Invalid request.\n\n${errors.join('\n')}`, docs);
        } else if (!options.allowUnknownBodyProperties) {
          const properties = requestBody.schema?.properties as JsonObject | undefined;
          if (
            properties &&
            requestBody.schema?.additionalProperties === undefined &&
            typeof body === 'object' &&
            body
          ) {
            for (const key of Object.keys(body)) {
              if (!(key in properties)) {
                problems.push(
                  `body.${key} is not a parameter of ${operation.operationId} (GitHub ignores it): ` +
                    `it takes ${Object.keys(properties).join(', ')}`,
                );
              }
            }
          }
        }
      }

      if (!reply) {
        const injected = failures.find((f) => f.method === method && f.path.test(url.pathname));
        if (injected) {
          if (--injected.times <= 0) failures.splice(failures.indexOf(injected), 1);
          fail(injected.status, ERROR_MESSAGES[injected.status] ?? 'Error', docs);
        }
      }

      if (!reply) {
        const handler = HANDLERS[operation.operationId] as Handler;
        try {
          reply = handler({
            state,
            owner: String(pathParams.owner),
            repo: String(pathParams.repo),
            path: pathParams,
            query,
            rawQuery,
            pathname: url.pathname,
            body: (body ?? {}) as JsonObject,
          });
        } catch (error) {
          if (error instanceof HttpError) {
            reply = { status: error.status, body: errorBody(error.status, error.message, docs) };
          } else {
            responseViolations.push(
              `${line}: the stand-in failed: ${(error as Error).stack ?? String(error)}`,
            );
            reply = { status: 500, body: errorBody(500, 'Server Error', docs) };
          }
        }
        const validate = description.responseValidator(operation, reply.status);
        if (validate && !validate(reply.body)) {
          responseViolations.push(
            ...describeErrors(validate.errors, 'response').map(
              (text) => `${line} -> ${reply?.status}: ${text}`,
            ),
          );
        }
      }
    }

    const final = reply ?? { status: 500 };
    violations.push(...problems.map((problem) => `${line}: ${problem}`));
    requests.push({
      method,
      path: url.pathname,
      query: rawQuery,
      headers,
      body,
      operationId: operation?.operationId,
      status: final.status,
    });
    rateRemaining = Math.max(rateRemaining - 1, 0);
    const responseHeaders: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': API_VERSION,
      'x-github-request-id': randomUUID().toUpperCase().slice(0, 23),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(rateRemaining),
      'x-ratelimit-reset': String(rateReset),
      'x-ratelimit-used': String(5000 - rateRemaining),
      'x-ratelimit-resource': 'core',
      ...final.headers,
    };
    if (final.body === undefined) {
      response.writeHead(final.status, responseHeaders).end();
    } else {
      response
        .writeHead(final.status, { ...responseHeaders, 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(final.body));
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      responseViolations.push(`the stand-in failed: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  function setPull(number: number, settings: PullSettings): void {
    if (settings.merged && !settings.state) settings = { ...settings, state: 'closed' };
    const pr = pull(state, number);
    const changed = now();
    if (settings.state && settings.state !== pr.state) {
      pr.closedAt = settings.state === 'closed' ? changed : null;
      if (settings.state === 'open') pr.merged = false;
    }
    const given = Object.entries(settings).filter(([, value]) => value !== undefined);
    Object.assign(pr, Object.fromEntries(given), { updatedAt: changed });
  }

  const { port } = server.address() as AddressInfo;
  state.api = `http://127.0.0.1:${port}`;

  return {
    url: state.api,
    requests,
    violations,
    responseViolations,
    deployments: state.deployments,
    statuses: state.statuses,
    comments: state.comments,
    failNext(method, pathRegex, status, times = 1) {
      failures.push({ method: method.toUpperCase(), path: pathRegex, status, times });
    },
    setPullState: (number, pullState) => setPull(number, { state: pullState }),
    setPull,
    addComment(number, body, login) {
      const id = state.nextId++;
      const created = now();
      const api = `${state.api}/repos/acme/web`;
      state.comments.push({
        id,
        node_id: nodeId('IC', id),
        url: `${api}/issues/comments/${id}`,
        html_url: `https://github.com/acme/web/pull/${number}#issuecomment-${id}`,
        body,
        user: user(state.api, login, userId(login), 'User') as JsonObject & { login: string },
        created_at: created,
        updated_at: created,
        issue_url: `${api}/issues/${number}`,
        author_association: 'NONE',
        performed_via_github_app: null,
        issue_number: number,
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
