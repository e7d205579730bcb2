import { describe, expect, it } from 'vitest';
import { CHECKS_DEFAULTS, parseChecksFile } from '../../../src/checks/checks-file';
import type { PathCheck } from '../../../src/checks/model';
import { ConfigError } from '../../../src/errors';

const parse = (text: string, file = 'CHECKS') => parseChecksFile(text, file);
const checks = (text: string) => parse(text).startup as PathCheck[];

/** Runs parseChecksFile, expects a ConfigError, and returns its message. */
function failure(text: string, file = 'CHECKS'): string {
  let thrown: unknown;
  try {
    parse(text, file);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).message;
}

/** The fields a CHECKS line decides; the settings are checked separately. */
const shape = (check: PathCheck) => ({
  path: check.path,
  scheme: check.scheme,
  content: check.content,
  headers: check.headers,
});

describe('parseChecksFile: the suite', () => {
  it('is a sequential CHECKS suite that names its file, with no other checks', () => {
    const suite = parse('/\n', 'app/CHECKS');
    expect(suite).toMatchObject({ source: 'CHECKS', file: 'app/CHECKS', sequential: true, other: [] });
    expect(suite.startup).toHaveLength(1);
  });

  it('gives a full check object with Dokku defaults (WAIT=5 TIMEOUT=30 ATTEMPTS=5)', () => {
    expect(CHECKS_DEFAULTS).toEqual({ WAIT: 5, TIMEOUT: 30, ATTEMPTS: 5 });
    expect(parse('/health  ok').startup).toEqual([
      {
        kind: 'path',
        name: 'check-1',
        origin: 'CHECKS:1',
        path: '/health',
        scheme: 'http',
        content: 'ok',
        headers: [],
        status: 'dokku',
        attempts: 5,
        timeout: 30,
        wait: 5,
        initialDelay: 0,
      },
    ]);
  });

  it('reads an empty file as zero checks', () => {
    expect(parse('').startup).toEqual([]);
    expect(parse('\n\n').startup).toEqual([]);
    expect(parse('   \n\t\n').startup).toEqual([]);
  });

  it('reads a file of comments and settings only as zero checks', () => {
    expect(parse('# nothing yet\nWAIT=3\n').startup).toEqual([]);
  });

  it('names checks check-N in file order and gives each its file:line origin', () => {
    const suite = parse('# header\n\n/a\n\n# more\n/b\n/c');
    expect(suite.startup.map((check) => [check.name, check.origin])).toEqual([
      ['check-1', 'CHECKS:3'],
      ['check-2', 'CHECKS:6'],
      ['check-3', 'CHECKS:7'],
    ]);
  });

  it('uses the given file name in origins', () => {
    expect(parse('/x', 'deploy/CHECKS').startup[0]?.origin).toBe('deploy/CHECKS:1');
  });
});

describe('parseChecksFile: blank lines and comments', () => {
  it('skips blank lines, whitespace-only lines and # comments (also indented)', () => {
    const text = ['', '   ', '\t', '# a comment', '   # an indented comment', '#/not-a-check', '/real'].join(
      '\n',
    );
    expect(checks(text).map((check) => check.path)).toEqual(['/real']);
  });

  it('skips a comment that looks like a setting or a check', () => {
    expect(checks('#WAIT=abc\n# /x\n/y').map((check) => check.path)).toEqual(['/y']);
    expect(checks('#WAIT=abc\n/y')[0]?.wait).toBe(5);
  });

  it('accepts CRLF line endings (no \\r in paths, contents or settings)', () => {
    const suite = parse('WAIT=7\r\nTIMEOUT=9\r\n\r\n# note\r\n/about  Our Amazing Team\r\n/x\r\n');
    expect(suite.startup.map((check) => shape(check as PathCheck))).toEqual([
      { path: '/about', scheme: 'http', content: 'Our Amazing Team', headers: [] },
      { path: '/x', scheme: 'http', content: undefined, headers: [] },
    ]);
    expect(suite.startup[0]).toMatchObject({ wait: 7, timeout: 9, origin: 'CHECKS:5' });
    expect(suite.startup[1]?.origin).toBe('CHECKS:6');
  });

  it('counts lines the same way with CRLF when reporting errors', () => {
    expect(failure('/ok\r\n\r\n# c\r\nabout\r\n')).toMatch(/^CHECKS:4: /);
  });

  it('keeps a trailing newline from adding a check', () => {
    expect(checks('/a\n')).toHaveLength(1);
  });
});

describe('parseChecksFile: check lines (spec §1.1, §1.3)', () => {
  it('doc example: /about  Our Amazing Team (content is the rest of the line, inner spaces kept)', () => {
    expect(checks('/about  Our Amazing Team').map(shape)).toEqual([
      { path: '/about', scheme: 'http', content: 'Our Amazing Team', headers: [] },
    ]);
  });

  it('doc example: paths with and without expected content', () => {
    const text = [
      '/                       My Amazing App',
      '/stylesheets/index.css  .body',
      '/scripts/index.js       $(function()',
      '/images/logo.png',
    ].join('\n');
    expect(checks(text).map(shape)).toEqual([
      { path: '/', scheme: 'http', content: 'My Amazing App', headers: [] },
      { path: '/stylesheets/index.css', scheme: 'http', content: '.body', headers: [] },
      { path: '/scripts/index.js', scheme: 'http', content: '$(function()', headers: [] },
      { path: '/images/logo.png', scheme: 'http', content: undefined, headers: [] },
    ]);
  });

  it('doc example: //host and //host/path send a Host header (path / when none)', () => {
    expect(checks('//admin.dokku.me  Admin Dashboard\n//static.dokku.me/logo.png').map(shape)).toEqual([
      {
        path: '/',
        scheme: 'http',
        content: 'Admin Dashboard',
        headers: [{ name: 'Host', value: 'admin.dokku.me' }],
      },
      {
        path: '/logo.png',
        scheme: 'http',
        content: undefined,
        headers: [{ name: 'Host', value: 'static.dokku.me' }],
      },
    ]);
  });

  it('doc example: https://host and https://host/path use https and a Host header', () => {
    expect(
      checks('https://admin.dokku.me  Admin Dashboard\nhttps://static.dokku.me/logo.png').map(shape),
    ).toEqual([
      {
        path: '/',
        scheme: 'https',
        content: 'Admin Dashboard',
        headers: [{ name: 'Host', value: 'admin.dokku.me' }],
      },
      {
        path: '/logo.png',
        scheme: 'https',
        content: undefined,
        headers: [{ name: 'Host', value: 'static.dokku.me' }],
      },
    ]);
  });

  it('older doc example: //admin.example.com and https://admin.example.com', () => {
    expect(checks('//admin.example.com\nhttps://admin.example.com').map(shape)).toEqual([
      {
        path: '/',
        scheme: 'http',
        content: undefined,
        headers: [{ name: 'Host', value: 'admin.example.com' }],
      },
      {
        path: '/',
        scheme: 'https',
        content: undefined,
        headers: [{ name: 'Host', value: 'admin.example.com' }],
      },
    ]);
  });

  it('doc example: settings with trailing comments, then a check', () => {
    const text = [
      'WAIT=30     # Wait 1/2 minute',
      'TIMEOUT=60  # Timeout after a minute',
      'ATTEMPTS=10 # Attempt checks 10 times',
      '',
      '/  My Amazing App',
    ].join('\n');
    const suite = parse(text);
    expect(suite.startup).toHaveLength(1);
    expect(suite.startup[0]).toMatchObject({
      path: '/',
      content: 'My Amazing App',
      wait: 30,
      timeout: 60,
      attempts: 10,
      origin: 'CHECKS:5',
    });
  });

  it('Rails doc examples: WAIT=10 ATTEMPTS=6 with /check.txt simple_check, and a bare /', () => {
    expect(parse('WAIT=10\nATTEMPTS=6\n/check.txt  simple_check').startup[0]).toMatchObject({
      path: '/check.txt',
      content: 'simple_check',
      wait: 10,
      attempts: 6,
      timeout: 30,
    });
    expect(parse('WAIT=10\nATTEMPTS=6\n/').startup[0]).toMatchObject({
      path: '/',
      content: undefined,
      wait: 10,
      attempts: 6,
    });
  });

  it('http:// is explicit http with a Host header', () => {
    expect(checks('http://example.com/x').map(shape)).toEqual([
      { path: '/x', scheme: 'http', content: undefined, headers: [{ name: 'Host', value: 'example.com' }] },
    ]);
  });

  it('accepts a scheme before a relative path (http:/x), as L4 does', () => {
    expect(checks('https:/secure').map(shape)).toEqual([
      { path: '/secure', scheme: 'https', content: undefined, headers: [] },
    ]);
  });

  it('keeps a query string in the path', () => {
    expect(checks('/health?full=1  ok')[0]).toMatchObject({ path: '/health?full=1', content: 'ok' });
  });

  it('keeps a colon in the path of an absolute URL (L4 would have cut at it)', () => {
    expect(checks('https://example.com/a:b')[0]).toMatchObject({
      path: '/a:b',
      scheme: 'https',
      headers: [{ name: 'Host', value: 'example.com' }],
    });
  });

  it('reads // and https:// without a host as the root path, with no Host header', () => {
    expect(checks('//\nhttps://\n///x').map(shape)).toEqual([
      { path: '/', scheme: 'http', content: undefined, headers: [] },
      { path: '/', scheme: 'https', content: undefined, headers: [] },
      { path: '/x', scheme: 'http', content: undefined, headers: [] },
    ]);
  });

  it('lower-cases an upper-case scheme', () => {
    expect(checks('HTTPS://example.com/x')[0]?.scheme).toBe('https');
  });

  it('splits path and content on tabs as well as spaces, and trims the content', () => {
    expect(checks('/a\tTab\tSeparated \t ')[0]).toMatchObject({ path: '/a', content: 'Tab\tSeparated' });
    expect(checks('   /indented   x  ')[0]).toMatchObject({ path: '/indented', content: 'x' });
  });

  it('keeps an inline # in a check line as part of the content (L4 read -r)', () => {
    expect(checks('/  My App # the home page')[0]?.content).toBe('My App # the home page');
    expect(checks('/ #hash')[0]?.content).toBe('#hash');
  });

  it('keeps = and quotes in the content', () => {
    expect(checks('/ a=b "c"')[0]?.content).toBe('a=b "c"');
  });

  it('keeps unicode content', () => {
    expect(checks('/ Ünïcødé ✓ 日本')[0]?.content).toBe('Ünïcødé ✓ 日本');
  });

  it('sends a Host header only for the check that names a host (no leak into later lines, unlike L2-L4)', () => {
    const [first, second] = checks('//admin.example.com/x\n/y');
    expect(first?.headers).toEqual([{ name: 'Host', value: 'admin.example.com' }]);
    expect(second?.headers).toEqual([]);
  });

  it('judges statuses the Dokku way (curl --fail --location: 2xx and 3xx)', () => {
    expect(checks('/\nhttps://h/x').map((check) => check.status)).toEqual(['dokku', 'dokku']);
  });
});

describe('parseChecksFile: settings (spec §1.2)', () => {
  it('applies each setting to every check', () => {
    const all = checks('/a\nWAIT=1\nTIMEOUT=2\nATTEMPTS=3\n/b');
    expect(all.map((check) => [check.wait, check.timeout, check.attempts])).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('settings are global: one after the last check still applies to it', () => {
    expect(checks('/a\nTIMEOUT=11')[0]?.timeout).toBe(11);
  });

  it('the last occurrence of a setting wins', () => {
    const [check] = checks('WAIT=1\nATTEMPTS=2\n/x\nWAIT=9\nATTEMPTS=4\nWAIT=3');
    expect(check).toMatchObject({ wait: 3, attempts: 4, timeout: 30 });
  });

  it('leaves unset settings at their defaults', () => {
    expect(checks('TIMEOUT=60\n/')[0]).toMatchObject({ wait: 5, timeout: 60, attempts: 5 });
  });

  it('allows WAIT=0 (no sleep before an attempt)', () => {
    expect(checks('WAIT=0\n/')[0]?.wait).toBe(0);
  });

  it('allows spaces around the value, indentation, and a comment after whitespace', () => {
    expect(checks('  WAIT= 12  \n\tTIMEOUT=13\t# thirteen\nATTEMPTS=14 #\n/')[0]).toMatchObject({
      wait: 12,
      timeout: 13,
      attempts: 14,
    });
  });

  it('reads leading zeros as decimal', () => {
    expect(checks('WAIT=010\n/')[0]?.wait).toBe(10);
  });

  it('never gives a setting its own check', () => {
    expect(checks('WAIT=1\nTIMEOUT=2\nATTEMPTS=3')).toEqual([]);
  });

  it('takes the origin line of the check, not of the setting', () => {
    expect(checks('WAIT=1\n/x')[0]?.origin).toBe('CHECKS:2');
  });
});

describe('parseChecksFile: errors name file:line (strict where Dokku was silent)', () => {
  it('an unknown setting', () => {
    expect(failure('/\nFOO=1')).toBe(
      'CHECKS:2: unknown setting "FOO"; expected WAIT=, TIMEOUT= or ATTEMPTS=',
    );
  });

  it('a lower-case setting name is unknown', () => {
    expect(failure('wait=5')).toMatch(/^CHECKS:1: unknown setting "wait"/);
  });

  it('a DOKKU_ env name in the file is unknown', () => {
    expect(failure('DOKKU_CHECKS_WAIT=5')).toMatch(/^CHECKS:1: unknown setting "DOKKU_CHECKS_WAIT"/);
  });

  it('a value that is not a whole number', () => {
    expect(failure('WAIT=abc')).toBe('CHECKS:1: WAIT must be a whole number of seconds, got "abc"');
    expect(failure('ATTEMPTS=2.5')).toBe('CHECKS:1: ATTEMPTS must be a whole number of attempts, got "2.5"');
    expect(failure('TIMEOUT=-1')).toBe('CHECKS:1: TIMEOUT must be a whole number of seconds, got "-1"');
    expect(failure('WAIT=')).toBe('CHECKS:1: WAIT must be a whole number of seconds, got ""');
    expect(failure('WAIT=1e3')).toMatch(/^CHECKS:1: WAIT must be a whole number/);
    expect(failure('WAIT=5s')).toMatch(/^CHECKS:1: WAIT must be a whole number/);
    expect(failure('WAIT=٣')).toMatch(/^CHECKS:1: WAIT must be a whole number/);
  });

  it('a bad value names the right line after blank and comment lines', () => {
    expect(failure('# settings\n\nWAIT=30\n\n# oops\nTIMEOUT=sixty # a minute')).toBe(
      'CHECKS:6: TIMEOUT must be a whole number of seconds, got "sixty"',
    );
  });

  it('a comment glued to the value (no whitespace before #) is part of the value', () => {
    // L4's strip_inline_comments needs whitespace before '#', so this was broken in Dokku too.
    expect(failure('WAIT=30# half a minute')).toBe(
      'CHECKS:1: WAIT must be a whole number of seconds, got "30# half a minute"',
    );
  });

  it('TIMEOUT=0 and ATTEMPTS=0', () => {
    expect(failure('TIMEOUT=0')).toBe('CHECKS:1: TIMEOUT must be at least 1');
    expect(failure('/\nATTEMPTS=0')).toBe('CHECKS:2: ATTEMPTS must be at least 1');
    expect(failure('ATTEMPTS=000')).toBe('CHECKS:1: ATTEMPTS must be at least 1');
  });

  it('a line that is not a path or URL', () => {
    expect(failure('about')).toBe(
      'CHECKS:1: "about" is not a check: expected a path (/health), //host/path or http(s)://host/path',
    );
  });

  it('other things that are not checks', () => {
    expect(failure('about Our Team')).toMatch(/^CHECKS:1: "about" is not a check/);
    expect(failure('ftp://example.com/x')).toMatch(/^CHECKS:1: "ftp:\/\/example.com\/x" is not a check/);
    expect(failure('http:')).toMatch(/^CHECKS:1: "http:" is not a check/);
    expect(failure('WAIT =5')).toMatch(/^CHECKS:1: "WAIT" is not a check/);
    expect(failure('example.com/health')).toMatch(/^CHECKS:1: "example.com\/health" is not a check/);
  });

  it('an absolute URL with a port', () => {
    expect(failure('http://host:8080/x')).toBe(
      'CHECKS:1: "http://host:8080/x": omit the port; checks always go to the container\'s port',
    );
    expect(failure('https://host:443')).toMatch(/^CHECKS:1: "https:\/\/host:443": omit the port/);
    expect(failure('//host:5000/x')).toMatch(/^CHECKS:1: "\/\/host:5000\/x": omit the port/);
  });

  it('a bad check line names its line after blank and comment lines', () => {
    expect(failure('# Checks\n\nWAIT=10\n\n# home\n/  Home\n\n   \nabout  Our Team\n')).toMatch(
      /^CHECKS:9: /,
    );
  });

  it('the first bad line wins, and the message starts with the given file name', () => {
    expect(failure('/\nabout\nFOO=1', 'web/CHECKS')).toMatch(/^web\/CHECKS:2: "about"/);
  });

  it('an error is a ConfigError even when a later line is fine', () => {
    expect(() => parse('FOO=1\n/')).toThrow(ConfigError);
  });

  // Bug: `name in CHECKS_DEFAULTS` also sees Object.prototype, so constructor=/toString=/__proto__=/
  // hasOwnProperty= are accepted silently as settings instead of "unknown setting".
  it('names inherited from Object.prototype are unknown settings too', () => {
    expect(failure('constructor=1\n/')).toMatch(/^CHECKS:1: unknown setting "constructor"/);
    expect(failure('__proto__=1\n/')).toMatch(/^CHECKS:1: unknown setting "__proto__"/);
    expect(failure('toString=1\n/')).toMatch(/^CHECKS:1: unknown setting "toString"/);
  });

  // Bug: /^\d+$/ accepts any run of digits, so a huge value becomes an unsafe integer or Infinity
  // (Number('9'.repeat(400)) === Infinity): ATTEMPTS=Infinity means the dokku-timing loop never ends and
  // budgetSeconds() is Infinity. app.json caps the same fields at 86400.
  it('rejects values that are not safe whole numbers (e.g. 400 digits)', () => {
    expect(failure(`ATTEMPTS=${'9'.repeat(400)}\n/`)).toMatch(/^CHECKS:1: /);
  });
});
