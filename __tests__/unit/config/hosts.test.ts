import { describe, expect, it } from 'vitest';
import { hostLabel, parseHost } from '../../../src/config/hosts';
import type { Source } from '../../../src/errors';
import { configError } from '../support';

const SOURCE: Source = { kind: 'input', name: 'hosts' };
const parse = (text: string) => parseHost(text, SOURCE);

describe('parseHost', () => {
  it('reads user@host, defaulting the port to 22', () => {
    expect(parse('deploy@web1.example.com')).toEqual({ user: 'deploy', host: 'web1.example.com', port: 22 });
  });

  it('defaults the user to root', () => {
    expect(parse('203.0.113.7')).toEqual({ user: 'root', host: '203.0.113.7', port: 22 });
    expect(parse('web1:2222')).toEqual({ user: 'root', host: 'web1', port: 2222 });
  });

  it('reads a port', () => {
    expect(parse('ci.user-1@h:65535')).toEqual({ user: 'ci.user-1', host: 'h', port: 65535 });
  });

  it('reads IPv6 addresses in brackets, with or without a port', () => {
    expect(parse('deploy@[2001:db8::1]:2222')).toEqual({ user: 'deploy', host: '2001:db8::1', port: 2222 });
    expect(parse('[::1]')).toEqual({ user: 'root', host: '::1', port: 22 });
  });

  it.each([
    ['a b'],
    ['user@'],
    ['@host'],
    ['us er@host'],
    ['2001:db8::1'],
    ['host:'],
    ['host:port'],
    ['deploy@host;reboot'],
    ['deploy@$(id)'],
    [''],
  ])('refuses %j', (text) => {
    const error = configError(() => parse(text));
    expect(error.message).toBe(
      `input "hosts": "${text}" is not a host; expected user@host or user@host:port`,
    );
    expect(error.source).toEqual(SOURCE);
  });

  it('refuses ports out of range', () => {
    expect(configError(() => parse('deploy@h:70000')).message).toBe(
      'input "hosts": "deploy@h:70000": port must be 1..65535',
    );
    expect(configError(() => parse('h:0')).message).toBe('input "hosts": "h:0": port must be 1..65535');
    expect(configError(() => parse('h:123456')).message).toMatch(/is not a host/);
  });

  it('names a file line when the host came from baton.yml', () => {
    const source: Source = { kind: 'file', file: 'baton.yml', line: 4, key: 'hosts' };
    expect(configError(() => parseHost('a b', source)).message).toBe(
      'baton.yml:4 (hosts): "a b" is not a host; expected user@host or user@host:port',
    );
  });
});

describe('hostLabel', () => {
  it('omits port 22 and brackets IPv6 addresses', () => {
    expect(hostLabel({ user: 'root', host: 'web1', port: 22 })).toBe('root@web1');
    expect(hostLabel({ user: 'deploy', host: 'web1', port: 2222 })).toBe('deploy@web1:2222');
    expect(hostLabel({ user: 'deploy', host: '2001:db8::1', port: 22 })).toBe('deploy@[2001:db8::1]');
    expect(hostLabel({ user: 'deploy', host: '::1', port: 2200 })).toBe('deploy@[::1]:2200');
  });

  it('round-trips through parseHost', () => {
    for (const text of ['root@web1', 'deploy@web1:2222', 'deploy@[2001:db8::1]', 'deploy@[::1]:2200']) {
      expect(hostLabel(parse(text))).toBe(text);
    }
  });
});
