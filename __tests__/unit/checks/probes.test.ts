import { describe, expect, it } from 'vitest';
import { parseAppJson } from '../../../src/checks/app-json';
import { parseChecksFile } from '../../../src/checks/checks-file';
import { describeCheck, type HealthCheck, type PathCheck } from '../../../src/checks/model';
import { statusPasses } from '../../../src/checks/probes';
import { resolveChecks } from '../../../src/checks/resolve';
import { budgetSeconds } from '../../../src/checks/run';
import { checkSettings } from '../support';

const common = { name: 'c', origin: 'test', attempts: 3, timeout: 5, wait: 5, initialDelay: 0 };
const path = (extra: Partial<PathCheck> = {}): PathCheck => ({
  ...common,
  kind: 'path',
  path: '/',
  scheme: 'http',
  headers: [],
  status: 'dokku',
  ...extra,
});

describe('budgetSeconds', () => {
  it('legacy CHECKS: attempts × (wait + timeout)', () => {
    expect(budgetSeconds(path({ attempts: 5, wait: 5, timeout: 30 }), true)).toBe(175);
    expect(budgetSeconds(path({ attempts: 10, wait: 30, timeout: 60 }), true)).toBe(900);
    expect(budgetSeconds(path({ attempts: 1, wait: 0, timeout: 1 }), true)).toBe(1);
  });

  it('legacy CHECKS from a parsed file: the defaults give 5 × (5 + 30) = 175 s', () => {
    const [check] = parseChecksFile('/', 'CHECKS').startup;
    expect(budgetSeconds(check as HealthCheck, true)).toBe(175);
    const [tuned] = parseChecksFile('WAIT=10\nATTEMPTS=6\n/', 'CHECKS').startup;
    expect(budgetSeconds(tuned as HealthCheck, true)).toBe(6 * (10 + 30));
  });

  it('app.json: initialDelay + attempts × timeout + (attempts − 1) × wait', () => {
    expect(budgetSeconds(path({ attempts: 3, timeout: 5, wait: 5 }), false)).toBe(25);
    expect(budgetSeconds(path({ attempts: 3, timeout: 5, wait: 5, initialDelay: 10 }), false)).toBe(35);
    expect(budgetSeconds(path({ attempts: 1, timeout: 7, wait: 100 }), false)).toBe(7);
    expect(budgetSeconds(path({ attempts: 4, timeout: 2, wait: 0, initialDelay: 1 }), false)).toBe(9);
  });

  it('app.json from a parsed file: the defaults give 3 × 5 + 2 × 5 = 25 s', () => {
    const suite = parseAppJson('{"healthchecks":{"web":[{"type":"startup","path":"/"}]}}', 'app.json');
    expect(budgetSeconds(suite?.startup[0] as HealthCheck, false)).toBe(25);
  });

  it('a set budget wins, legacy or not', () => {
    expect(budgetSeconds(path({ budget: 60 }), false)).toBe(60);
    expect(budgetSeconds(path({ budget: 60, attempts: 9, wait: 9, timeout: 9 }), true)).toBe(60);
    expect(budgetSeconds(path({ budget: 0 }), false)).toBe(0);
  });

  it('healthcheck-path and the default ready check use ready-timeout', () => {
    const settings = checkSettings({ readyTimeout: 45 });
    const none = () => undefined;
    const kamal = resolveChecks({ ...settings, healthcheckPath: '/up' }, none).suite.startup[0];
    const ready = resolveChecks(settings, none).suite.startup[0];
    expect(budgetSeconds(kamal as HealthCheck, false)).toBe(45);
    expect(budgetSeconds(ready as HealthCheck, false)).toBe(45);
  });

  it('works for every kind of check', () => {
    const command: HealthCheck = { ...common, kind: 'command', command: ['true'] };
    const listening: HealthCheck = { ...common, kind: 'listening' };
    const uptime: HealthCheck = { ...common, kind: 'uptime', uptime: 10 };
    expect([command, listening, uptime].map((check) => budgetSeconds(check, false))).toEqual([25, 25, 25]);
  });
});

describe('statusPasses', () => {
  const passing = (rule: 'dokku' | '2xx' | 'ready') =>
    [0, 1, 100, 199, 200, 201, 204, 299, 300, 301, 304, 399, 400, 404, 499, 500, 503, 599].filter((status) =>
      statusPasses(rule, status),
    );

  it("'dokku' passes 200..399 (curl --fail --location)", () => {
    expect(passing('dokku')).toEqual([200, 201, 204, 299, 300, 301, 304, 399]);
  });

  it("'2xx' passes 200..299 (Kamal)", () => {
    expect(passing('2xx')).toEqual([200, 201, 204, 299]);
  });

  it("'ready' passes 1..499 (anything answered that is not a server error)", () => {
    expect(passing('ready')).toEqual([1, 100, 199, 200, 201, 204, 299, 300, 301, 304, 399, 400, 404, 499]);
  });

  it('is exact at every boundary', () => {
    for (let status = 0; status < 700; status++) {
      expect(statusPasses('dokku', status)).toBe(status >= 200 && status <= 399);
      expect(statusPasses('2xx', status)).toBe(status >= 200 && status <= 299);
      expect(statusPasses('ready', status)).toBe(status >= 1 && status <= 499);
    }
  });
});

describe('describeCheck', () => {
  it('a path check: scheme://localhost/path, with the expected content when there is one', () => {
    expect(describeCheck(path({ path: '/check.txt' }))).toBe('http://localhost/check.txt');
    expect(describeCheck(path({ path: '/check.txt', content: 'simple_check' }))).toBe(
      'http://localhost/check.txt => "simple_check"',
    );
  });

  it('a path check with a Host header shows that host (any case of the header name)', () => {
    expect(
      describeCheck(path({ scheme: 'https', headers: [{ name: 'host', value: 'admin.example.com' }] })),
    ).toBe('https://admin.example.com/');
    const [admin] = parseChecksFile('//admin.dokku.me  Admin Dashboard', 'CHECKS').startup;
    expect(describeCheck(admin as HealthCheck)).toBe('http://admin.dokku.me/ => "Admin Dashboard"');
  });

  it('an empty expected content is still shown', () => {
    expect(describeCheck(path({ content: '' }))).toBe('http://localhost/ => ""');
  });

  it('command, uptime and listening checks', () => {
    expect(describeCheck({ ...common, kind: 'command', command: ['/app/check.sh', '--fast'] })).toBe(
      'command ["/app/check.sh","--fast"]',
    );
    expect(describeCheck({ ...common, kind: 'uptime', uptime: 10 })).toBe('container up for 10s');
    expect(describeCheck({ ...common, kind: 'listening', port: 3000 })).toBe('listening on port 3000');
    expect(describeCheck({ ...common, kind: 'listening' })).toBe('listening on port app-port');
  });
});
