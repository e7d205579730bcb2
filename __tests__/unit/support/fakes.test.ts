import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readHistory as readHistoryArgv } from '../../../src/host/commands';
import { readHistory, setCurrent, writeRecord } from '../../../src/host/state';
import { expectNoStrayCommands, FakeShell, releaseRecord } from './fakes';

// The fakes stand in for hosts in the command tests: they must answer as the hosts would.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What the real history script prints for the fake's files, run by the local sh. */
function realHistoryOutput(shell: FakeShell, appDir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'baton-fakes-'));
  dirs.push(root);
  for (const [path, content] of shell.files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const [command, ...args] = readHistoryArgv(join(root, appDir));
  return execFileSync(command as string, args, { encoding: 'utf8' });
}

async function fakeHistoryOutput(shell: FakeShell, appDir: string): Promise<string> {
  return (await shell.run(readHistoryArgv(appDir))).stdout;
}

describe('FakeShell', () => {
  const appDir = '/var/lib/baton/web';

  it('answers the history script as sh does: current, then one JSON line per record', async () => {
    const shell = new FakeShell();
    await writeRecord(shell, appDir, releaseRecord('20240301-100000-1111111', 'done'));
    await writeRecord(shell, appDir, releaseRecord('20240302-100000-2222222', 'error'));
    await setCurrent(shell, appDir, '20240301-100000-1111111');
    shell.files.set(`${appDir}/20240301-100000-1111111.env`, 'SECRET=1\n');
    const fake = await fakeHistoryOutput(shell, appDir);
    expect(fake).toBe(realHistoryOutput(shell, appDir));
    expect((await readHistory(shell, appDir)).releases.map((release) => release.id)).toEqual([
      '20240302-100000-2222222',
      '20240301-100000-1111111',
    ]);
  });

  it('answers as sh does without a current file, and for an app never deployed', async () => {
    const shell = new FakeShell();
    expect(await fakeHistoryOutput(shell, appDir)).toBe('');
    await writeRecord(shell, appDir, releaseRecord('20240301-100000-1111111', 'running'));
    expect(await fakeHistoryOutput(shell, appDir)).toBe(realHistoryOutput(shell, appDir));
    expect(await readHistory(shell, appDir)).toMatchObject({ current: undefined });
  });

  it('fails loudly on a command it does not know, even when the caller swallows the failure', async () => {
    const shell = new FakeShell();
    await shell.run(['docker', 'ps'], { allowFailure: true }).catch(() => undefined);
    expect(() => expectNoStrayCommands()).toThrow('commands the fakes do not understand');
    expectNoStrayCommands(); // forgotten once reported
  });
});
