#!/usr/bin/env node
// Cuts GitHub's official OpenAPI description of api.github.com down to what the e2e GitHub stand-in
// (__tests__/e2e/support/github-standin.ts) needs, and writes it to __tests__/e2e/support/github-openapi.json.
//
// The description comes from the npm package @octokit/openapi (generated/api.github.com.json, OpenAPI 3.0.3).
// That package unpacks to ~385 MB (it also ships GHES/GHEC and dereferenced copies) for one 13 MB file, so it
// is not a devDependency: this script uses node_modules/@octokit/openapi when it is installed and otherwise
// fetches the pinned version with `npm pack` into a temporary directory.
//
// Kept in full: the operations the stand-in implements (IMPLEMENTED below) and every component they reference,
// transitively (schemas, parameters, request bodies, responses, headers, examples). Every other operation keeps
// only its method, path, operationId, summary and docs link, so the stand-in can still tell "exists on GitHub
// but not implemented here" (501) from "no such route" (404).
//
// Usage: node scripts/trim-openapi.mjs [--version 23.0.2] [--from path/to/api.github.com.json]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '__tests__/e2e/support/github-openapi.json');
const PACKAGE = '@octokit/openapi';
const DEFAULT_VERSION = '23.0.2';
const FILE = 'generated/api.github.com.json';

/** The operations github-standin.ts implements: keep this list and its HANDLERS in step. */
const IMPLEMENTED = [
  'repos/create-deployment',
  'repos/list-deployments',
  'repos/get-deployment',
  'repos/create-deployment-status',
  'repos/list-deployment-statuses',
  'repos/get-deployment-status',
  'issues/list-comments',
  'issues/create-comment',
  'issues/get-comment',
  'issues/update-comment',
  'issues/delete-comment',
  'pulls/get',
  'pulls/list',
  'users/get-authenticated',
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function arg(name) {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Reads the full description: --from, else the installed package, else `npm pack` of the pinned version. */
function readSource(version) {
  const from = arg('--from');
  if (from) return { text: readFileSync(from, 'utf8'), origin: from };
  const installed = join(ROOT, 'node_modules', PACKAGE, FILE);
  if (existsSync(installed) && !arg('--version')) {
    const { version: got } = JSON.parse(readFileSync(join(ROOT, 'node_modules', PACKAGE, 'package.json')));
    return { text: readFileSync(installed, 'utf8'), origin: `${PACKAGE}@${got} ${FILE}` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  try {
    const [{ filename }] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', `${PACKAGE}@${version}`], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    execFileSync('tar', ['-xzf', filename, `package/${FILE}`], { cwd: dir, stdio: 'inherit' });
    return {
      text: readFileSync(join(dir, 'package', FILE), 'utf8'),
      origin: `${PACKAGE}@${version} ${FILE}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every "#/components/..." $ref reachable from value, added to seen (as JSON pointers). */
function collectRefs(doc, value, seen) {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(doc, item, seen);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') {
        if (!child.startsWith('#/components/')) throw new Error(`unexpected $ref ${child}`);
        if (seen.has(child)) continue;
        seen.add(child);
        collectRefs(doc, resolvePointer(doc, child), seen);
      } else {
        collectRefs(doc, child, seen);
      }
    }
  }
}

function resolvePointer(doc, ref) {
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node?.[key];
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
  }
  return node;
}

function trim(full, origin, sha256) {
  const found = new Set();
  const paths = {};
  const refs = new Set();
  for (const [path, item] of Object.entries(full.paths)) {
    if (Object.keys(item).some((key) => !METHODS.includes(key) && !key.startsWith('x-'))) {
      throw new Error(`path-level keys the stand-in does not handle: ${path} ${Object.keys(item)}`);
    }
    const kept = {};
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (IMPLEMENTED.includes(operation.operationId)) {
        found.add(operation.operationId);
        kept[method] = operation;
        collectRefs(full, operation, refs);
      } else {
        kept[method] = {
          operationId: operation.operationId,
          summary: operation.summary,
          ...(operation.externalDocs ? { externalDocs: operation.externalDocs } : {}),
          'x-trimmed': true,
          responses: { default: { description: 'Trimmed: see the full description.' } },
        };
      }
    }
    paths[path] = kept;
  }
  const missing = IMPLEMENTED.filter((id) => !found.has(id));
  if (missing.length) throw new Error(`operations not in the description: ${missing.join(', ')}`);

  const components = {};
  for (const ref of [...refs].sort()) {
    const [, , kind, name] = ref.split('/');
    components[kind] ??= {};
    components[kind][name] = resolvePointer(full, ref);
  }
  for (const kind of Object.keys(components)) {
    components[kind] = Object.fromEntries(
      Object.entries(components[kind]).sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return {
    openapi: full.openapi,
    info: {
      ...full.info,
      'x-trimmed-from': {
        source: origin,
        sha256,
        operations: IMPLEMENTED,
        script: 'scripts/trim-openapi.mjs',
      },
    },
    servers: full.servers,
    externalDocs: full.externalDocs,
    paths,
    components,
  };
}

const started = Date.now();
const { text, origin } = readSource(arg('--version') ?? DEFAULT_VERSION);
const sha256 = createHash('sha256').update(text).digest('hex');
const trimmed = trim(JSON.parse(text), origin, sha256);
writeFileSync(OUT, `${JSON.stringify(trimmed, null, 1)}\n`);
const kept = Object.values(trimmed.components).reduce((n, kind) => n + Object.keys(kind).length, 0);
console.log(
  `${OUT}: ${IMPLEMENTED.length} operations in full, ${kept} components, ` +
    `${Object.keys(trimmed.paths).length} paths; ${readFileSync(OUT).length} bytes from ${text.length} ` +
    `(${origin}) in ${Date.now() - started} ms`,
);
