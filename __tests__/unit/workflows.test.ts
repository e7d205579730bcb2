import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ValidationError, validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: unknown } | string;
  outputs?: Record<string, string>;
  steps?: Step[];
}

interface Workflow {
  permissions?: unknown;
  concurrency?: Job['concurrency'];
  jobs?: Record<string, Job>;
}

const path = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const action = parse(readFileSync(path('action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
};
const INPUTS = new Set(Object.keys(action.inputs));
const OUTPUTS = new Set(Object.keys(action.outputs));
/** Inputs whose value must come from `secrets.*`, never be written in the file. */
const SECRET_INPUTS = ['ssh-key', 'secrets', 'preview-secrets', 'registry-password'];

const WORKFLOWS = path('.github/workflows');
const files = readdirSync(WORKFLOWS)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();
const examples = files.filter((name) => name.startsWith('example-'));
const text = (name: string) => readFileSync(`${WORKFLOWS}/${name}`, 'utf8');
const load = (name: string) => parse(text(name)) as Workflow;

const isBaton = (uses: string | undefined) => uses === './' || /^baton-dev\/baton@/.test(uses ?? '');

/** Every step that uses Baton, with where it is. */
function batonSteps(workflow: Workflow): { where: string; step: Step }[] {
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, { steps = [] }]) =>
    steps.flatMap((step, index) => (isBaton(step.uses) ? [{ where: `${job}.steps[${index}]`, step }] : [])),
  );
}

/** The `with:` keys of Baton steps that action.yml does not declare. */
function unknownInputs(source: string): string[] {
  return batonSteps(parse(source) as Workflow).flatMap(({ where, step }) =>
    Object.keys(step.with ?? {})
      .filter((key) => !INPUTS.has(key))
      .map((key) => `${where}.with.${key}`),
  );
}

/** Every string in a value, however deep. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/**
 * References that name no such output: steps.ID.outputs.NAME where ID is not a step of the job or is a
 * Baton step without output NAME; needs.JOB.outputs.NAME where JOB is not needed or has no output NAME.
 */
function badOutputReferences(source: string): string[] {
  const workflow = parse(source) as Workflow;
  const jobs = workflow.jobs ?? {};
  const reference = /\b(steps|needs)\.([\w-]+)\.outputs(?:\.([\w-]+)|\[\s*'([^']*)'\s*\])/g;
  return Object.entries(jobs).flatMap(([name, job]) => {
    const steps = job.steps ?? [];
    const baton = new Set(steps.filter((step) => isBaton(step.uses)).map((step) => step.id));
    const needs = [job.needs ?? []].flat();
    return strings(job).flatMap((value) =>
      [...value.matchAll(reference)].flatMap(([match, kind, id = '', dotted, quoted]) => {
        const output = dotted ?? quoted ?? '';
        const bad =
          kind === 'steps'
            ? !steps.some((step) => step.id === id) || (baton.has(id) && !OUTPUTS.has(output))
            : !needs.includes(id) || !Object.hasOwn(jobs[id]?.outputs ?? {}, output);
        return bad ? [`${name}: ${match}`] : [];
      }),
    );
  });
}

/** The job's `if` starts with the BATON_HOSTS guard, alone or followed by `&& more`. */
function guarded(job: Job): boolean {
  return /^\s*(?:\$\{\{\s*)?vars\.BATON_HOSTS != ''\s*(?:&&|\}\}\s*$|$)/.test(job.if ?? '');
}

/** validateWorkflow's errors, nested alternatives (oneOf) indented, one per line. */
function formatErrors(errors: ValidationError[], indent = ''): string {
  return errors
    .map((error) => {
      const at = 'location' in error ? error.location : undefined;
      const where = at ? `line ${at.line} column ${at.column}` : ('path' in error && error.path) || '/';
      const lines = [`${indent}${where}: ${error.title}${error.detail ? ` (${error.detail})` : ''}`];
      ('states' in error ? (error.states ?? []) : []).forEach((state, index) => {
        lines.push(`${indent}  either ${index + 1}:`, formatErrors(state.errors, `${indent}    `));
      });
      return lines.join('\n');
    })
    .join('\n');
}

describe('.github/workflows', () => {
  it('holds the four examples', () => {
    expect(examples).toEqual([
      'example-pr-previews.yml',
      'example-push-deploy.yml',
      'example-rollback.yml',
      'example-staging-production.yml',
    ]);
  });

  describe.each(files)('%s', (name) => {
    it('parses as YAML without errors', () => {
      const errors = parseDocument(text(name)).errors.map((error) => `${error.code}: ${error.message}`);
      expect(errors).toEqual([]);
    });

    it("passes action-validator (SchemaStore's workflow schema)", () => {
      expect(formatErrors(validateWorkflow(text(name)).errors)).toBe('');
    });

    it('gives Baton only inputs that action.yml declares', () => {
      expect(unknownInputs(text(name))).toEqual([]);
    });

    it('reads only outputs that exist', () => {
      expect(badOutputReferences(text(name))).toEqual([]);
    });
  });

  describe.each(examples)('%s', (name) => {
    const workflow = load(name);
    const jobs = Object.entries(workflow.jobs ?? {});

    it('guards every job with vars.BATON_HOSTS', () => {
      expect(jobs.length).toBeGreaterThan(0);
      for (const [job, body] of jobs) expect(guarded(body), `${job}: if: ${body.if}`).toBe(true);
    });

    it('gives every job permissions and a concurrency group that never cancels a deploy', () => {
      for (const [job, body] of jobs) {
        // Every example job runs Baton, which reports a GitHub deployment.
        expect(body.permissions ?? workflow.permissions, `${job}: permissions`).toMatchObject({
          contents: 'read',
          deployments: 'write',
        });
        expect(body.concurrency ?? workflow.concurrency, `${job}: concurrency`).toMatchObject({
          group: expect.stringMatching(/^baton-/),
          'cancel-in-progress': false,
        });
      }
    });

    it('uses baton-dev/baton@v0, with secret inputs from secrets', () => {
      const steps = batonSteps(workflow);
      expect(steps.length).toBeGreaterThan(0);
      for (const { where, step } of steps) {
        expect(step.uses, where).toBe('baton-dev/baton@v0');
        for (const key of SECRET_INPUTS.filter((key) => key in (step.with ?? {}))) {
          expect(String(step.with?.[key]), `${where}.with.${key}`).toMatch(/^\$\{\{\s*secrets\.\w+\s*\}\}$/);
        }
      }
    });
  });
});

describe('the workflow checks', () => {
  const workflow = `
on: push
jobs:
  staging:
    if: vars.BATON_HOSTS != '' || true
    runs-on: ubuntu-latest
    outputs:
      image: \${{ steps.deploy.outputs.image }}
    steps:
      - uses: actions/checkout@v4
        with:
          sssh-key: not Baton's
      - id: deploy
        uses: baton-dev/baton@v0
        with:
          hosts: deploy@web1.example.com
          sssh-key: \${{ secrets.BATON_SSH_KEY }}
  production:
    needs: staging
    runs-on: ubuntu-latest
    environment:
      name: production
      url: \${{ steps.deploy.outputs.urll }}
    steps:
      - id: deploy
        uses: ./
        with:
          image: \${{ needs.staging.outputs.imag }}
          domain: \${{ needs.build.outputs.domain }}
          env: URL=\${{ steps.deploy.outputs['previous-release'] }} \${{ steps.deplyo.outputs.url }}
`;

  it('find a misspelled Baton input, and only in Baton steps', () => {
    expect(unknownInputs(workflow)).toEqual(['staging.steps[1].with.sssh-key']);
  });

  it('find outputs that do not exist', () => {
    expect(badOutputReferences(workflow)).toEqual([
      'production: steps.deploy.outputs.urll',
      'production: needs.staging.outputs.imag',
      'production: needs.build.outputs.domain',
      'production: steps.deplyo.outputs.url',
    ]);
  });

  it('accept only the BATON_HOSTS guard, alone or first in an &&', () => {
    const jobs = (parse(workflow) as Workflow).jobs ?? {};
    expect(guarded(jobs.staging as Job)).toBe(false);
    expect(guarded(jobs.production as Job)).toBe(false);
    expect(guarded({ if: "vars.BATON_HOSTS != ''" })).toBe(true);
    expect(guarded({ if: "${{ vars.BATON_HOSTS != '' }}" })).toBe(true);
    expect(guarded({ if: "vars.BATON_HOSTS != '' && github.event_name == 'push'" })).toBe(true);
  });

  it('let action-validator reject a broken workflow, readably', () => {
    expect(formatErrors(validateWorkflow(workflow).errors)).toBe('');
    const broken = workflow.replace('    runs-on: ubuntu-latest\n    outputs:', '    outputs:');
    const errors = formatErrors(validateWorkflow(broken).errors);
    expect(errors).toContain('/jobs/staging/runs-on: This property is required');
    const unparsable = formatErrors(validateWorkflow('on: [push\njobs: {}\n').errors);
    expect(unparsable).toMatch(/^line 2 column \d+: Parse Error/);
  });
});
