import { expect } from 'vitest';
import type { CheckSettings } from '../../src/checks/resolve';
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

/**
 * A real, unencrypted ed25519 private key (ssh-keygen -t ed25519 -C baton-unit-test-only), so config
 * validation accepts it. TEST ONLY: it is public and logs in nowhere.
 */
export const SSH_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACB/m/9kCPTpwAGyLkTg+5fx22YLjyErVVDdVR0cHEbb+AAAAJh3+abCd/mm',
  'wgAAAAtzc2gtZWQyNTUxOQAAACB/m/9kCPTpwAGyLkTg+5fx22YLjyErVVDdVR0cHEbb+A',
  'AAAEAtdWd1t6syhmXLZGRMVSPv31mEIW0ZAd1BrUsFAIOaM3+b/2QI9OnAAbIuROD7l/Hb',
  'ZguPIStVUN1VHRwcRtv4AAAAFGJhdG9uLXVuaXQtdGVzdC1vbmx5AQ==',
  '-----END OPENSSH PRIVATE KEY-----',
  '',
].join('\n');

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

/** Check settings as loadConfig passes them with every default (tests override what they exercise). */
export function checkSettings(extra: Partial<CheckSettings> = {}): CheckSettings {
  return {
    file: '',
    fileSource: { kind: 'input', name: 'checks' },
    healthcheckPath: '',
    healthcheckSource: { kind: 'input', name: 'healthcheck-path' },
    skip: false,
    context: '.',
    readyPath: '/',
    readyTimeout: 60,
    defaultChecksWait: 10,
    ...extra,
  };
}
