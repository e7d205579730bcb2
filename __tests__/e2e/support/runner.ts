import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './host';

// What actions/runner does for a `uses:` step of a node action, read from action.yml as it is:
// - every input's `default:` is merged in as INPUT_<NAME> (upper case, spaces to _), with expressions
//   such as ${{ github.token }} evaluated first; inputs the workflow writes win;
// - `post:` runs after `main:` when `post-if` holds, with the state main saved as STATE_*.

interface ActionYml {
  inputs: Record<string, { default?: unknown }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export const ACTION: ActionYml = parse(readFileSync(resolve(ROOT, 'action.yml'), 'utf8')) as ActionYml;

/** The values ${{ }} expressions in action.yml's defaults may use. */
export interface ExpressionContext {
  'github.token': string;
}

/** INPUT_* variables for a step: action.yml's defaults (evaluated), then what the workflow wrote. */
export function inputVariables(
  written: Record<string, string>,
  context: ExpressionContext,
): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(ACTION.inputs)) {
    if (input.default !== undefined) inputs[name] = evaluate(String(input.default), context);
  }
  Object.assign(inputs, written);
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
}

function evaluate(text: string, context: ExpressionContext): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    if (expression in context) return context[expression as keyof ExpressionContext];
    throw new Error(`the test runner cannot evaluate \${{ ${expression} }} in action.yml`);
  });
}

/** Whether the post step runs after a main step that ended this way (post-if: the runner's status functions). */
export function postRuns(mainSucceeded: boolean): boolean {
  if (!ACTION.runs.post) return false;
  const condition = (ACTION.runs['post-if'] ?? 'always()').trim();
  if (condition === 'always()') return true;
  if (condition === 'success()') return mainSucceeded;
  if (condition === 'failure()') return !mainSucceeded;
  throw new Error(`the test runner cannot evaluate post-if: ${condition}`);
}

/** Parses the runner's file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV): NAME=value or NAME<<EOF. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2] as string, index + 1);
      values[heredoc[1] as string] = lines.slice(index + 1, end).join('\n');
      index = end;
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}
