import { ConfigError, type Source } from '../errors';
import { type FileEntry, parseConfigFile } from './file';
import { fileRefusal, isSettingName, SETTINGS, type SettingName } from './settings';
import type { ConfigSources } from './types';
import { asBoolean, asCommand, asInteger, asKeyValues, asLines, asList, asNumber, asString } from './values';
import { workspacePath } from './formats';

/** A setting's value as given, and where it came from (for errors). */
export interface Raw {
  value: unknown;
  source: Source;
}

/**
 * Each setting from where it is given: an input written in the workflow, else baton.yml, else its
 * default (SETTINGS). Every typed read names the input or file:line of a bad value.
 */
export class SettingsReader {
  constructor(
    private readonly getInput: (name: string) => string,
    private readonly file: Map<string, FileEntry>,
  ) {}

  raw(name: SettingName): Raw {
    const input = this.getInput(name);
    if (input !== '') return { value: input, source: { kind: 'input', name } };
    const entry = this.file.get(name);
    if (entry && entry.value !== null) return entry;
    return { value: SETTINGS[name].default, source: { kind: 'input', name } };
  }

  source(name: SettingName): Source {
    return this.raw(name).source;
  }

  str(name: SettingName): string {
    return this.read(name, asString);
  }

  int(name: SettingName, min: number, max: number): number {
    return this.read(name, (value, source) => asInteger(value, source, min, max));
  }

  num(name: SettingName, min: number, max: number): number {
    return this.read(name, (value, source) => asNumber(value, source, min, max));
  }

  bool(name: SettingName): boolean {
    return this.read(name, asBoolean);
  }

  list(name: SettingName): string[] {
    return this.read(name, asList);
  }

  lines(name: SettingName): string[] {
    return this.read(name, asLines);
  }

  command(name: SettingName): string[] {
    return this.read(name, asCommand);
  }

  /** KEY=VALUE lines or a mapping; a secret's values are kept verbatim. */
  keyValues(name: SettingName, secret = false): Record<string, string> {
    return this.read(name, (value, source) => asKeyValues(value, source, secret));
  }

  private read<T>(name: SettingName, as: (value: unknown, source: Source) => T): T {
    const { value, source } = this.raw(name);
    return as(value, source);
  }
}

/** baton.yml (or the file the config input names): every key a known setting that the file may set. */
export function readConfigFile(sources: ConfigSources): Map<string, FileEntry> {
  const given = sources.getInput('config');
  const path = workspacePath(given || SETTINGS.config.default, { kind: 'input', name: 'config' });
  const text = sources.readFile(path);
  if (text === undefined) {
    if (given)
      throw new ConfigError(`config file "${given}" does not exist`, { kind: 'input', name: 'config' });
    return new Map();
  }
  const entries = parseConfigFile(text, path);
  for (const [key, entry] of entries) {
    if (!isSettingName(key)) throw new ConfigError(`unknown setting "${key}"`, entry.source);
    const refusal = fileRefusal(key);
    if (refusal) throw new ConfigError(`"${key}" cannot be set in ${path}: it ${refusal}`, entry.source);
  }
  return entries;
}
