import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toShell } from '../../../src/host/shell';

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Everything a POSIX shell might treat specially, plus ordinary and non-ASCII characters.
const ALPHABET = [
  ...'abcXYZ019-_./=:,@%+',
  ...' \t\n\r',
  ...'\'"`$\\;&|<>(){}[]*?~!#^',
  'é',
  'ß',
  '日本',
  '🚀',
  '\u00a0',
  '\u2028',
  '$(id)',
  '${HOME}',
  '`id`',
  "'\\''",
  '\\n',
  '~root',
  '*.conf',
  '-n',
  '--',
];

function randomArgv(random: () => number): string[] {
  const count = 1 + Math.floor(random() * 5);
  return Array.from({ length: count }, () => {
    const length = Math.floor(random() * 10);
    let text = '';
    for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    return text;
  });
}

/** What a shell makes of the quoted command line: each argument printed NUL-terminated. */
function throughShell(shell: string, argv: string[]): string[] {
  const out = execFileSync(shell, ['-c', `printf "%s\\0" ${toShell(argv)}`], { encoding: 'utf8' });
  expect(out.endsWith('\0')).toBe(true);
  return out.slice(0, -1).split('\0');
}

const SHELLS = ['/bin/sh', '/bin/bash'].filter((shell) => existsSync(shell));

describe('toShell', () => {
  it('has a POSIX shell to test against', () => {
    expect(SHELLS).toContain('/bin/sh');
  });

  it.each(SHELLS)('round-trips hand-picked arguments through %s', (shell) => {
    const cases = [
      ['plain'],
      [''],
      ['', ''],
      ['two words', "it's", 'say "hi"'],
      ['$HOME', '${PATH}', '$(reboot)', '`reboot`', '$((1+1))'],
      ['a;b', 'a&&b', 'a|b', 'a>b', '<(x)', 'a&'],
      ['*', '?', '[a]', '{a,b}', '~', '~/x', '~root', 'KEY=~', 'a:~'],
      ["don't!", "it's live!", '!', '!!', 'a!b'],
      ['#not a comment', 'x#y'],
      ['line\nbreak', 'cr\rhere', 'tab\there', '\n'],
      ['back\\slash', '\\', '\\\\', "'", '"', "'\"'"],
      ['-n', '-e', '--'],
      ['héllo wörld', '日本語', '🚀'],
    ];
    for (const argv of cases) expect(throughShell(shell, argv)).toEqual(argv);
  });

  it.each(SHELLS)('round-trips generated arguments through %s', (shell) => {
    const random = prng(0xba70);
    for (let i = 0; i < 250; i++) {
      const argv = randomArgv(random);
      expect(throughShell(shell, argv), `case ${i}: ${JSON.stringify(argv)}`).toEqual(argv);
    }
  });

  it('passes each argument as one word, so a command cannot be smuggled in', () => {
    const out = execFileSync('sh', ['-c', toShell(['echo', 'x; echo INJECTED', '$(echo INJECTED)'])], {
      encoding: 'utf8',
    });
    expect(out).toBe('x; echo INJECTED $(echo INJECTED)\n');
  });

  it('throws on an empty command', () => {
    expect(() => toShell([])).toThrow('empty command');
  });
});
