import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isSettingName, SETTINGS } from '../../src/config/settings';

interface ActionInput {
  description?: string;
  default?: unknown;
  required?: boolean;
}

const action = parse(readFileSync(fileURLToPath(new URL('../../action.yml', import.meta.url)), 'utf8')) as {
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string }>;
};

describe('action.yml', () => {
  it('declares exactly the settings Baton reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it.each(Object.keys(SETTINGS))('gives %s the same default as SETTINGS', (name) => {
    const input = action.inputs[name];
    expect(input, `action.yml has no input "${name}"`).toBeDefined();
    const expected =
      name === 'github-token' ? '${{ github.token }}' : SETTINGS[name as keyof typeof SETTINGS].default;
    // GitHub passes defaults as strings; an absent default reads as ''.
    expect(input?.default === undefined ? '' : String(input.default)).toBe(expected);
  });

  it('describes every input and marks none required (Baton validates them itself)', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(input.required ?? false, name).toBe(false);
    }
  });

  it('declares the outputs main sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([
      'deployment-id',
      'image',
      'previous-release',
      'release',
      'url',
    ]);
  });

  it('agrees with isSettingName', () => {
    for (const name of Object.keys(action.inputs)) expect(isSettingName(name)).toBe(true);
    expect(isSettingName('toString')).toBe(false);
    expect(isSettingName('constructor')).toBe(false);
  });
});
