import { describe, expect, it } from 'vitest';
import * as docker from '../../../src/build/commands';

const BUILD: docker.Build = {
  context: '.',
  dockerfile: 'Dockerfile',
  args: { NODE_ENV: 'production', QUOTE: "it's; rm -rf /" },
  labels: { 'org.opencontainers.image.revision': 'abc' },
  target: '',
  cacheFrom: ['type=registry,ref=r.io/web:cache'],
  cacheTo: ['type=inline'],
  secrets: { NPM_TOKEN: 'never-on-the-command-line' },
};

describe('build command lines', () => {
  it('tag, Dockerfile, target only when given, build args and labels, each value one argument', () => {
    const args = docker.buildArgs(BUILD, 'r.io/web:abc', '/w/Dockerfile');
    expect(args).toEqual([
      '--tag',
      'r.io/web:abc',
      '--file',
      '/w/Dockerfile',
      '--build-arg',
      'NODE_ENV=production',
      '--build-arg',
      "QUOTE=it's; rm -rf /",
      '--label',
      'org.opencontainers.image.revision=abc',
    ]);
    expect(docker.buildArgs({ ...BUILD, target: 'prod' }, 'i', 'f')).toContain('prod');
  });

  it('passes build secrets as files, never their values', () => {
    const args = docker.secretArgs([{ name: 'NPM_TOKEN', file: '/tmp/s/0' }]);
    expect(args).toEqual(['--secret', 'id=NPM_TOKEN,src=/tmp/s/0']);
    expect(JSON.stringify(docker.buildxBuild(BUILD, '/tmp/m.json', args))).not.toContain('never-on');
  });

  it('buildx pushes in the same step, with the cache entries and a metadata file for the digest', () => {
    expect(docker.buildxBuild(BUILD, '/tmp/m.json', ['--tag', 'i', '.'])).toEqual([
      'buildx',
      'build',
      '--push',
      '--metadata-file',
      '/tmp/m.json',
      '--cache-from',
      'type=registry,ref=r.io/web:cache',
      '--cache-to',
      'type=inline',
      '--tag',
      'i',
      '.',
    ]);
  });

  it('the classic build takes cache images and, with BuildKit, an inline cache; the context comes last', () => {
    expect(docker.legacyBuild(['r.io/web:cache'], true, ['--tag', 'i'], '/w')).toEqual([
      'build',
      '--cache-from',
      'r.io/web:cache',
      '--build-arg',
      'BUILDKIT_INLINE_CACHE=1',
      '--tag',
      'i',
      '/w',
    ]);
    expect(docker.legacyBuild([], false, [], '/w')).toEqual(['build', '/w']);
  });

  it('logs in with the password on stdin', () => {
    expect(docker.login('r.io', 'bot')).toEqual(['login', '--username', 'bot', '--password-stdin', 'r.io']);
  });
});
