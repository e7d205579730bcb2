import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderActionYml } from '../../../src/config/action-yml';
import { declaredDefault, fileRefusal, isSettingName, OUTPUTS, SETTINGS } from '../../../src/config/settings';

interface ActionInput {
  description?: string;
  default?: unknown;
  required?: boolean;
}

const text = readFileSync(fileURLToPath(new URL('../../../action.yml', import.meta.url)), 'utf8');
const action = parse(text) as {
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string }>;
};
const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('action.yml', () => {
  it('is exactly what `npm run action-yml` writes from SETTINGS', () => {
    expect(text).toBe(renderActionYml());
  });

  it('declares exactly the settings Baton reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  // The runner passes every declared default as INPUT_*: a default there would hide baton.yml's value.
  it.each(Object.keys(SETTINGS))('declares no default for %s when baton.yml may set it', (name) => {
    const input = action.inputs[name];
    const key = name as keyof typeof SETTINGS;
    if (fileRefusal(key) === undefined) expect(input?.default).toBeUndefined();
    expect(input?.default === undefined ? '' : String(input.default)).toBe(declaredDefault(key));
  });

  it('declares no default for config: an explicitly named file must exist', () => {
    expect(action.inputs.config?.default).toBeUndefined();
  });

  it('describes every input and marks none required (Baton validates them itself)', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(input.required ?? false, name).toBe(false);
    }
  });

  it('declares the outputs main sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.keys(OUTPUTS).sort());
  });

  it('agrees with isSettingName', () => {
    for (const name of Object.keys(action.inputs)) expect(isSettingName(name)).toBe(true);
    expect(isSettingName('toString')).toBe(false);
    expect(isSettingName('constructor')).toBe(false);
  });

  it.each(Object.keys(SETTINGS))('README documents the input %s', (name) => {
    expect(readme).toContain(`| \`${name}\``);
  });

  it.each(Object.keys(OUTPUTS))('README documents the output %s', (name) => {
    expect(readme).toContain(`| \`${name}\``);
  });
});
