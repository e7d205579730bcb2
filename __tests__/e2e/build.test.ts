import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRun, runAction } from './support/action';
import { engine, removeApp } from './support/docker';
import { hostInputs, readTestHost } from './support/host';
import { startLoad } from './support/load';

// The build in the runner: the user's own docker login (as docker/login-action leaves it), target,
// build secrets, a registry build cache, the digest output, and no registry credentials left on the host.
// The runner's docker is the Debian machine's: no buildx, so this is the legacy builder.

const host = readTestHost();
const app = 'built';
const repo = `${host.REGISTRY}/${app}`;
const seed = randomBytes(6).toString('hex');
const BUILD_SECRET = `npm-token-${randomBytes(8).toString('hex')}`;
const auth = Buffer.from(`${host.REGISTRY_USER}:${host.REGISTRY_PASSWORD}`).toString('base64');
const work = mkdtempSync(join(tmpdir(), 'baton-build-e2e-'));
const context = join(work, 'context');
const userConfig = join(work, 'user-docker');
const runs: ActionRun[] = [];
// Two docker clients on the machine: Debian's docker.io 20.10 (BuildKit built in) and a newer one
// without buildx (no BuildKit at all). Each test that depends on it names the one it runs.
const OLD_CLIENT = '/usr/bin';
const NEW_CLIENT = '/usr/local/bin';
const hasClient = (dir: string) => existsSync(join(dir, 'docker'));

const STAGES = `FROM scratch AS base
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY app.sh /app.sh
ENV PORT=8080 BOOT_DELAY=0 HEALTH=ok
EXPOSE 8080
CMD ["/bin/sh", "/app.sh"]
FROM base AS seeded
ARG SEED
RUN echo "seed-$SEED" > /seed
`;

/** The same docker client the action runs, with a config dir of the test's (the user's, when given). */
function dockerCli(args: string[], options: { config?: string; input?: string; path?: string } = {}) {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    input: options.input,
    env: {
      PATH: options.path ?? process.env.PATH,
      DOCKER_HOST: host.DOCKER_HOST,
      DOCKER_CONFIG: options.config ?? join(work, 'test-docker'),
    },
  });
}

async function deploy(inputs: Record<string, string>, env: Record<string, string> = {}, sha = 'c') {
  const run = await runAction(
    { ...hostInputs(host, app), 'build-args': `SEED=${seed}`, ...inputs },
    { DOCKER_HOST: host.DOCKER_HOST, GITHUB_SHA: sha.repeat(40), ...env },
    // The checkout: the test app's files with the Dockerfiles of this test.
    {
      Dockerfile: readFileSync(join(context, 'Dockerfile'), 'utf8'),
      'Dockerfile.secret': readFileSync(join(context, 'Dockerfile.secret'), 'utf8'),
    },
  );
  runs.push(run);
  return run;
}

/** What the registry itself says the tag's manifest digest is. */
async function registryDigest(tag: string): Promise<string> {
  const accept = [
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
  ].join(', ');
  const response = await fetch(`http://${host.REGISTRY}/v2/${app}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Authorization: `Basic ${auth}`, Accept: accept },
  });
  expect(response.status).toBe(200);
  return response.headers.get('docker-content-digest') ?? '';
}

async function served(): Promise<string> {
  const load = startLoad({ port: Number(host.NGINX_PORT), host: `${app}.test`, maxRequests: 3 });
  const report = await load.stop();
  return report.bodies.map(([body]) => body).join(',');
}

/** Every file under dir (following no links), for grepping. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function expectNoRegistryCredentialsOnHost() {
  const places = [...filesUnder(`${host.BATON_TEST_ROOT}/state/${app}`), ...filesUnder('/root/.docker')];
  for (const file of places) {
    const text = readFileSync(file, 'utf8');
    expect(text, file).not.toContain(auth);
    expect(text, file).not.toContain(host.REGISTRY_PASSWORD);
  }
  expect(
    readdirSync(`${host.BATON_TEST_ROOT}/state/${app}`).filter((name) => name.startsWith('docker-config')),
  ).toEqual([]);
}

function fakeBuildx(log: string): string {
  return `#!/bin/sh
[ "$1" = docker-cli-plugin-metadata ] && { echo '{"SchemaVersion":"0.1.0","Vendor":"baton-test","Version":"v0.0.0"}'; exit 0; }
[ -z "$IN_FAKE_BUILDX" ] || exit 99 # never call itself
export IN_FAKE_BUILDX=1
shift
[ "$1" = version ] && { echo "fake buildx"; exit 0; }
echo "$*" >> ${log}
echo "builder: $(cat "$DOCKER_CONFIG/buildx/current")" >> ${log}
has() { grep -q "$1" "$DOCKER_CONFIG/config.json" && echo yes || echo no; }
echo "logins: other.example:5000 $(has other.example:5000), registry $(has ${host.REGISTRY})" >> ${log}
shift
bargs=
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift ;;
    --file) file=$2; shift ;;
    --build-arg) bargs="$bargs --build-arg $2"; shift ;;
    --metadata-file) meta=$2; shift ;;
    --push) ;;
    --*) shift ;;
    *) ctx=$1 ;;
  esac
  shift
done
# DOCKER_BUILDKIT=0: with a buildx plugin installed, \`docker build\` would call the plugin again
DOCKER_BUILDKIT=0 docker build $bargs --tag "$tag" --file "$file" "$ctx" >&2 && docker push "$tag" >&2 || exit 1
d=$(docker image inspect --format '{{index .RepoDigests 0}}' "$tag")
echo "{\\"containerimage.digest\\":\\"\${d#*@}\\"}" > "$meta"
`;
}

describe('the build in the runner', () => {
  beforeAll(async () => {
    await removeApp(host, app);
    execFileSync('mkdir', ['-p', context, userConfig]);
    for (const file of ['busybox', 'app.sh'])
      copyFileSync(join(host.TEST_APP_CONTEXT, file), join(context, file));
    writeFileSync(
      join(context, 'Dockerfile'),
      `${STAGES}FROM seeded AS debug\nENV VERSION=debug\nFROM seeded AS prod\nENV VERSION=prod\n`,
    );
    writeFileSync(
      join(context, 'Dockerfile.secret'),
      `${STAGES}RUN --mount=type=secret,id=NPM_TOKEN sha256sum /run/secrets/NPM_TOKEN | cut -c1-64 > /token-hash\nENV VERSION=secret\n`,
    );
    // The user logged in themselves, as docker/login-action does: into their DOCKER_CONFIG.
    dockerCli(['login', '--username', host.REGISTRY_USER, '--password-stdin', host.REGISTRY], {
      config: userConfig,
      input: host.REGISTRY_PASSWORD,
    });
  });

  afterAll(async () => {
    await removeApp(host, app);
    rmSync(work, { recursive: true, force: true });
  });

  it("deploys with the user's own docker login and no registry-password; target picks the stage; digest is the registry's", async () => {
    const before = readFileSync(join(userConfig, 'config.json'), 'utf8');
    // A login an older Baton left on the host for good: this deploy removes it.
    const legacy = `${host.BATON_TEST_ROOT}/state/${app}/docker-config`;
    execFileSync('mkdir', ['-p', legacy]);
    writeFileSync(`${legacy}/config.json`, JSON.stringify({ auths: { [host.REGISTRY]: { auth } } }));
    const run = await deploy(
      { 'registry-username': '', 'registry-password': '', target: 'debug' },
      { DOCKER_CONFIG: userConfig },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(await served()).toBe('version debug');
    const digest = await registryDigest('c'.repeat(40));
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.outputs.digest).toBe(digest);
    expect(run.outputs.image).toBe(`${repo}@${digest}`);
    // The user's config is theirs: Baton neither logged them out nor wrote into it.
    expect(readFileSync(join(userConfig, 'config.json'), 'utf8')).toBe(before);
    expectNoRegistryCredentialsOnHost();
  });

  it('takes cache from a registry image (cache-from) and leaves no registry login on the host', async () => {
    // A cache image of the same stages, pushed by someone else; nothing of it stays local.
    const cache = `${repo}:buildcache`;
    const fresh = `${seed}-cache`; // no local build has these layers
    const testConfig = join(work, 'test-docker');
    dockerCli(['login', '--username', host.REGISTRY_USER, '--password-stdin', host.REGISTRY], {
      config: testConfig,
      input: host.REGISTRY_PASSWORD,
    });
    dockerCli(['build', '--build-arg', `SEED=${fresh}`, '--target', 'seeded', '--tag', cache, context]);
    dockerCli(['push', cache]);
    dockerCli(['image', 'rm', cache]);
    const run = await deploy({ 'cache-from': cache, 'build-args': `SEED=${fresh}` }, {}, 'd');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/RUN echo "seed-\$SEED" > \/seed\s*\n\s*---> Using cache/);
    expect(await served()).toBe('version prod');
    expect(run.outputs.digest).toBe(await registryDigest('d'.repeat(40)));
    expectNoRegistryCredentialsOnHost();
  });

  it('pushes the build as a cache image (cache-to type=registry) for later builds', async () => {
    const run = await deploy({ 'cache-to': `type=registry,ref=${repo}:cache2` }, {}, 'e');
    expect(run.code, run.stdout).toBe(0);
    expect(await registryDigest('cache2')).toBe(run.outputs.digest);
  });

  it('refuses cache that needs buildx, naming the input, rather than dropping it', async () => {
    const run = await deploy({ 'cache-from': 'type=gha', 'cache-to': 'type=gha,mode=max' }, {}, 'f');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Build failed: input "cache-from": "type=gha" needs docker buildx/);
  });

  it('build secrets reach the build (BuildKit of a docker 20.10 client), not the image, the app or the log', async () => {
    const run = await deploy(
      { dockerfile: 'Dockerfile.secret', 'build-secrets': `NPM_TOKEN=${BUILD_SECRET}` },
      { PATH: `${OLD_CLIENT}:${process.env.PATH}` },
      '1',
    );
    expect(run.code, run.stdout).toBe(0);
    expect(await served()).toBe('version secret');
    const [container] = await engine(host).listContainers({
      filters: { label: [`baton.commit=${'1'.repeat(40)}`] },
    });
    const id = container?.Id as string;
    const hash = createHash('sha256').update(BUILD_SECRET).digest('hex');
    const exec = dockerCli(['exec', id, 'cat', '/token-hash']).trim();
    expect(exec).toBe(hash);
    const saved = join(work, 'image.tar');
    dockerCli(['save', '--output', saved, `${repo}:${'1'.repeat(40)}`]);
    expect(readFileSync(saved).includes(BUILD_SECRET)).toBe(false);
    expect(dockerCli(['inspect', id])).not.toContain(BUILD_SECRET);
    expect(run.visible).not.toContain(BUILD_SECRET);
  });

  it.skipIf(!hasClient(NEW_CLIENT))(
    'build secrets with a client that has no BuildKit: a clear error naming build-secrets',
    async () => {
      const run = await deploy(
        { dockerfile: 'Dockerfile.secret', 'build-secrets': `NPM_TOKEN=${BUILD_SECRET}` },
        { PATH: `${NEW_CLIENT}:${process.env.PATH}` },
        '2',
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Build failed: input "build-secrets": build secrets need BuildKit/);
      expect(run.visible).not.toContain(BUILD_SECRET);
    },
  );

  it("with Baton's own login, the user's buildx plugin, builder and other logins stay visible; theirs is untouched", async () => {
    // A stand-in buildx plugin (the machine has none) that records what it is asked, then builds and
    // pushes with the plain client, writing the metadata file as buildx does.
    const config = join(work, 'user-with-buildx');
    const log = join(work, 'buildx.log');
    execFileSync('mkdir', ['-p', join(config, 'cli-plugins'), join(config, 'buildx', 'instances')]);
    writeFileSync(join(config, 'buildx', 'current'), '{"Key":"","Name":"builder-of-the-user"}');
    const theirs = JSON.stringify({ auths: { 'other.example:5000': { auth: 'b3RoZXI6eA==' } } });
    writeFileSync(join(config, 'config.json'), theirs);
    writeFileSync(join(config, 'cli-plugins', 'docker-buildx'), fakeBuildx(log), { mode: 0o755 });
    const run = await deploy(
      {
        'cache-from': 'type=gha',
        'cache-to': 'type=gha,mode=max',
        'build-secrets': `NPM_TOKEN=${BUILD_SECRET}`,
      },
      { DOCKER_CONFIG: config },
      '7',
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('with buildx');
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain('--cache-from type=gha --cache-to type=gha,mode=max');
    expect(calls).toMatch(/--secret id=NPM_TOKEN,src=\S+/);
    expect(calls).toContain('builder: {"Key":"","Name":"builder-of-the-user"}');
    expect(calls).toContain('logins: other.example:5000 yes, registry yes');
    expect(calls).not.toContain(BUILD_SECRET);
    expect(run.outputs.digest).toBe(await registryDigest('7'.repeat(40)));
    expect(readFileSync(join(config, 'config.json'), 'utf8')).toBe(theirs);
    expect(run.visible).not.toContain(BUILD_SECRET);
  });

  it('never shows a registry password in any output', () => {
    for (const run of runs) expect(run.visible).not.toContain(host.REGISTRY_PASSWORD);
  });
});
