import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { legacyCache } from '../../../src/build/cache';
import {
  overlayConfigDir,
  registryHost,
  userConfigDir,
  userCredentials,
  withoutServer,
} from '../../../src/build/docker-config';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('the runner user docker config', () => {
  let root: string;
  let user: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'baton-cfg-'));
    user = join(root, 'user');
    mkdirSync(join(user, 'buildx', 'instances'), { recursive: true });
    mkdirSync(join(user, 'cli-plugins'));
    writeFileSync(join(user, 'buildx', 'current'), '{"Key":"x","Name":"builder-1"}');
    writeFileSync(
      join(user, 'config.json'),
      JSON.stringify({
        auths: { 'https://r.io': { auth: b64('me:mine') }, 'other.io': { auth: b64('o:theirs') } },
        currentContext: 'ci',
      }),
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is $DOCKER_CONFIG, else ~/.docker', () => {
    expect(userConfigDir({ DOCKER_CONFIG: '/x' })).toBe('/x');
    expect(userConfigDir({})).toMatch(/\/\.docker$/);
  });

  it('overlay: sees the builder, plugins and other logins; not the login Baton replaces', () => {
    const dir = overlayConfigDir(user, root, 'r.io');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readlinkSync(join(dir, 'buildx'))).toBe(join(user, 'buildx'));
    expect(readlinkSync(join(dir, 'cli-plugins'))).toBe(join(user, 'cli-plugins'));
    expect(readFileSync(join(dir, 'buildx', 'current'), 'utf8')).toContain('builder-1');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toEqual({
      auths: { 'other.io': { auth: b64('o:theirs') } },
      credHelpers: {},
      currentContext: 'ci',
    });
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    // Removing the overlay leaves the user's dir whole.
    rmSync(dir, { recursive: true });
    expect(lstatSync(join(user, 'buildx', 'current')).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(join(user, 'config.json'), 'utf8')).auths['https://r.io']).toBeDefined();
  });

  it('overlay of a config that does not exist is an empty one', () => {
    const dir = overlayConfigDir(join(root, 'none'), root, 'r.io');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      auths: {},
      credHelpers: {},
    });
  });

  it('a credential store becomes helpers for the registries it holds, so a login cannot write into it', () => {
    const config = {
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud' },
      auths: { 'https://index.docker.io/v1/': {}, 'r.io': {}, 'q.io': {} },
    };
    expect(withoutServer(config, 'r.io')).toEqual({
      auths: { 'https://index.docker.io/v1/': {}, 'q.io': {} },
      credHelpers: { 'gcr.io': 'gcloud', 'https://index.docker.io/v1/': 'desktop', 'q.io': 'desktop' },
    });
    expect(Object.keys(withoutServer(config, 'docker.io').auths ?? {})).toEqual(['r.io', 'q.io']);
  });

  it('names registries as docker does', () => {
    expect(registryHost('https://index.docker.io/v1/')).toBe('docker.io');
    expect(registryHost('registry-1.docker.io')).toBe('docker.io');
    expect(registryHost('https://GHCR.io/')).toBe('ghcr.io');
    expect(registryHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it('reads the user login for a registry from config.json, or none', () => {
    expect(userCredentials(user, 'r.io')).toEqual({ server: 'r.io', username: 'me', password: 'mine' });
    expect(userCredentials(user, 'x.io')).toBeUndefined();
    expect(userCredentials(join(root, 'none'), 'r.io')).toBeUndefined();
  });

  it('reads it from a credential helper', () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'docker-credential-fake'),
      '#!/bin/sh\nread s; echo "{\\"ServerURL\\":\\"$s\\",\\"Username\\":\\"hu\\",\\"Secret\\":\\"hs-$s\\"}"\n',
      { mode: 0o755 },
    );
    writeFileSync(join(user, 'config.json'), JSON.stringify({ credsStore: 'fake', auths: { 'r.io': {} } }));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      expect(userCredentials(user, 'r.io')).toEqual({ server: 'r.io', username: 'hu', password: 'hs-r.io' });
    } finally {
      process.env.PATH = path;
    }
  });

  it('says clearly when config.json is broken', () => {
    writeFileSync(join(user, 'config.json'), '{');
    expect(() => userCredentials(user, 'r.io')).toThrow(/config\.json is not valid JSON/);
  });
});

describe('cache with the legacy builder', () => {
  it('takes image references and type=inline', () => {
    expect(
      legacyCache(
        ['r.io/a:cache', 'type=registry,ref=r.io/b:c'],
        ['type=registry,ref=r.io/a:cache', 'type=inline'],
      ),
    ).toEqual({
      from: ['r.io/a:cache', 'r.io/b:c'],
      to: ['r.io/a:cache'],
    });
  });

  it('refuses what needs buildx, naming the input', () => {
    expect(() => legacyCache(['type=gha'], [])).toThrow(
      /^input "cache-from": "type=gha" needs docker buildx/,
    );
    expect(() => legacyCache([], ['type=gha,mode=max'])).toThrow(/^input "cache-to": .*needs docker buildx/);
    expect(() => legacyCache([], ['type=registry,ref=r.io/a:c,mode=max'])).toThrow(/input "cache-to"/);
    expect(() => legacyCache(['type=inline'], [])).toThrow(/input "cache-from"/);
  });
});
