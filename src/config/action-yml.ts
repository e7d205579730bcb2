import { stringify } from 'yaml';
import { declaredDefault, OUTPUTS, SETTINGS, type SettingName } from './settings';

/** action.yml as `npm run action-yml` writes it from SETTINGS and OUTPUTS (a unit test compares). */
export function renderActionYml(): string {
  const inputs = Object.fromEntries(
    (Object.keys(SETTINGS) as SettingName[]).map((name) => {
      const declared = declaredDefault(name);
      return [name, { description: SETTINGS[name].doc, ...(declared ? { default: declared } : {}) }];
    }),
  );
  const outputs = Object.fromEntries(
    Object.entries(OUTPUTS).map(([name, description]) => [name, { description }]),
  );
  const head = {
    name: 'Baton deploy',
    description:
      'Zero-downtime Docker deploys to your own servers over SSH, with checks and an nginx hand-over.',
    author: 'Baton',
    branding: { icon: 'send', color: 'blue' },
  };
  const runs = { using: 'node24', main: 'dist/index.js', post: 'dist/index.js', 'post-if': 'always()' };
  const options = { lineWidth: 110, defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN' } as const;
  return [
    '# Written by `npm run action-yml` from src/config/settings.ts: edit that file, not this one.',
    stringify(head, options),
    stringify({ inputs }, options),
    stringify({ outputs }, options),
    stringify({ runs }, options),
  ].join('\n');
}
