import * as core from '@actions/core';
import { type Config, loadConfig } from './config';
import { type RunContext, readRunContext } from './config/context';
import { SETTINGS, type SettingName } from './config/settings';
import { currentEvent } from './github';
import type { Secrets } from './secrets';
import { readInWorkspace } from './workspace';

const SECRET_SETTINGS = (Object.keys(SETTINGS) as SettingName[]).filter(
  (name) => SETTINGS[name].kind === 'secret',
);
/** Secret settings of KEY=VALUE lines: values are kept verbatim (trailing spaces included). */
const SECRET_LISTS = ['secrets', 'preview-secrets', 'build-secrets'];

/** Masks the secret inputs, then reads and validates every setting (inputs and baton.yml). */
export function readSettings(secrets: Secrets): { context: RunContext; config: Config } {
  maskSecretInputs(secrets);
  const context = readRunContext(process.env);
  const config = loadConfig({
    getInput: (name) => readInput(name),
    readFile: (path) => readInWorkspace(context.workspace, path),
    context,
    event: currentEvent(context),
  });
  for (const value of Object.values({ ...config.secrets, ...config.build.secrets })) secrets.register(value);
  secrets.register(config.registry.password);
  return { context, config };
}

/** An input, trimmed, except KEY=VALUE secret lists: a secret's trailing spaces are part of it. */
function readInput(name: string): string {
  return core.getInput(name, { trimWhitespace: !SECRET_LISTS.includes(name) });
}

/** Masks every secret setting (SETTINGS kind secret): the whole value, each line, each line's value. */
function maskSecretInputs(secrets: Secrets): void {
  for (const name of SECRET_SETTINGS) secrets.register(readInput(name));
  for (const name of SECRET_LISTS) {
    for (const line of readInput(name).split(/\r?\n/)) {
      secrets.register(line.slice(line.indexOf('=') + 1));
    }
  }
}
