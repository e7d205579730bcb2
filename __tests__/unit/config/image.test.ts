import { describe, expect, it } from 'vitest';
import { imageReference, parseImage } from '../../../src/config/image';
import type { Source } from '../../../src/errors';
import { configError } from '../support';

const SOURCE: Source = { kind: 'input', name: 'image' };
const parse = (text: string) => parseImage(text, SOURCE);
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseImage', () => {
  it('defaults the registry to docker.io', () => {
    expect(parse('nginx')).toEqual({ registry: 'docker.io', repository: 'nginx' });
    expect(parse('library/nginx:1.25')).toEqual({
      registry: 'docker.io',
      repository: 'library/nginx',
      tag: '1.25',
    });
    expect(parse('acme/web')).toEqual({ registry: 'docker.io', repository: 'acme/web' });
  });

  it('recognises a registry by a dot, a port or localhost', () => {
    expect(parse('ghcr.io/acme/web')).toEqual({ registry: 'ghcr.io', repository: 'ghcr.io/acme/web' });
    expect(parse('127.0.0.1:5000/web')).toEqual({
      registry: '127.0.0.1:5000',
      repository: '127.0.0.1:5000/web',
    });
    expect(parse('registry:5000/team/web:2')).toEqual({
      registry: 'registry:5000',
      repository: 'registry:5000/team/web',
      tag: '2',
    });
    expect(parse('localhost/web')).toEqual({ registry: 'localhost', repository: 'localhost/web' });
    expect(parse('localhost:5000/web:dev')).toEqual({
      registry: 'localhost:5000',
      repository: 'localhost:5000/web',
      tag: 'dev',
    });
  });

  it('reads a tag, a digest, or both', () => {
    expect(parse('ghcr.io/acme/web:1.4.2')).toMatchObject({ repository: 'ghcr.io/acme/web', tag: '1.4.2' });
    expect(parse(`ghcr.io/acme/web@${DIGEST}`)).toEqual({
      registry: 'ghcr.io',
      repository: 'ghcr.io/acme/web',
      digest: DIGEST,
    });
    expect(parse(`ghcr.io/acme/web:1.4.2@${DIGEST}`)).toEqual({
      registry: 'ghcr.io',
      repository: 'ghcr.io/acme/web',
      tag: '1.4.2',
      digest: DIGEST,
    });
  });

  it('accepts path separators Docker allows', () => {
    expect(parse('ghcr.io/acme/my_web.app--x/api__v2:v1_2-rc.3').repository).toBe(
      'ghcr.io/acme/my_web.app--x/api__v2',
    );
  });

  it.each([
    ['ghcr.io/acme/web:', 'bad tag ""'],
    ['ghcr.io/acme/web:-1', 'bad tag "-1"'],
    ['ghcr.io/acme/web:a b', 'bad tag "a b"'],
    [`ghcr.io/acme/web:${'t'.repeat(129)}`, `bad tag "${'t'.repeat(129)}"`],
    ['ghcr.io/acme/web@sha256:abc', 'the digest must be sha256:<64 hex>'],
    [`ghcr.io/acme/web@sha512:${'a'.repeat(64)}`, 'the digest must be sha256:<64 hex>'],
  ])('refuses %j', (text, why) => {
    const error = configError(() => parse(text));
    expect(error.message).toBe(`input "image": "${text}" is not an image reference: ${why}`);
  });

  it.each([
    'ghcr.io/Acme/web',
    'Nginx',
    'ghcr.io/acme/Web:1.0',
    'ghcr.io/acme//web',
    'ghcr.io/acme/web/',
    'ghcr.io/acme/-web',
    'ghcr.io/acme/web_',
    'ghcr.io/acme/we___b',
    'ghcr.io/',
    '',
  ])('refuses the repository %j', (text) => {
    expect(configError(() => parse(text)).message).toBe(
      `input "image": "${text}" is not an image reference: use lowercase letters, digits and . _ - between slashes`,
    );
  });

  // Regression (was a bug in src/config/image.ts parseImage): the registry part is never validated, so references Docker
  // refuses ("invalid reference format") pass config validation and fail later, at build or pull.
  it.each(['bad host.io/web', 'ghcr.io:/acme/web', 'ghcr.io:abc/web'])(
    'refuses the registry in %j',
    (text) => {
      configError(() => parse(text));
    },
  );
});

describe('imageReference', () => {
  it('prefers the digest, then the tag, then latest', () => {
    expect(imageReference(parse('ghcr.io/acme/web:1.4.2'))).toBe('ghcr.io/acme/web:1.4.2');
    expect(imageReference(parse(`ghcr.io/acme/web:1.4.2@${DIGEST}`))).toBe(`ghcr.io/acme/web@${DIGEST}`);
    expect(imageReference(parse(`ghcr.io/acme/web@${DIGEST}`))).toBe(`ghcr.io/acme/web@${DIGEST}`);
    expect(imageReference(parse('nginx'))).toBe('nginx:latest');
    expect(imageReference({ ...parse('localhost:5000/web'), tag: 'abc' })).toBe('localhost:5000/web:abc');
  });
});
