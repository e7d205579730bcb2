import { expect } from 'vitest';
import type { ConfigSources } from '../../src/config';
import type { RunContext } from '../../src/config/context';
import { declaredDefault, SETTINGS, type SettingName } from '../../src/config/settings';
import { ConfigError } from '../../src/errors';

export const SHA = '0123456789abcdef0123456789abcdef01234567';

export const CONTEXT: RunContext = {
  sha: SHA,
  ref: 'refs/heads/main',
  actor: 'octocat',
  repository: 'acme/web',
  serverUrl: 'https://github.com',
  runId: '4242',
  workspace: '/home/runner/work/web/web',
  runnerTemp: '/home/runner/work/_temp',
};

export const SSH_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

/** The three settings without a usable default. */
export const MINIMAL: Record<string, string> = {
  hosts: 'deploy@203.0.113.10',
  'ssh-key': SSH_KEY,
  domain: 'web.example.com',
};

/** Fake action inputs and workspace files: missing inputs read as '', missing files as undefined. */
export function fakeSources(
  inputs: Record<string, string>,
  files: Record<string, string> = {},
  context: RunContext = CONTEXT,
): ConfigSources & { readPaths: string[] } {
  const readPaths: string[] = [];
  return {
    getInput: (name) => inputs[name] ?? '',
    readFile: (path) => {
      readPaths.push(path);
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
    context,
    readPaths,
  };
}

/** Runs fn, expects it to throw a ConfigError, and returns that error. */
export function configError(fn: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a ConfigError to be thrown').toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

/** Inputs as the runner passes them: every default action.yml declares, then what the workflow wrote. */
export function runnerInputs(written: Record<string, string>): Record<string, string> {
  const defaults = (Object.keys(SETTINGS) as SettingName[])
    .map((name) => [name, declaredDefault(name).replace('${{ github.token }}', 'ghs_runner_token')])
    .filter(([, value]) => value !== '');
  return { ...Object.fromEntries(defaults), ...written };
}
