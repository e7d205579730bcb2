import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { inWorkspace, readInWorkspace } from '../../src/workspace';

function checkout() {
  const root = mkdtempSync(join(tmpdir(), 'baton-ws-'));
  const workspace = join(root, 'workspace');
  mkdirSync(join(workspace, 'app'), { recursive: true });
  writeFileSync(join(workspace, 'app', 'CHECKS'), '/ ok\n');
  writeFileSync(join(root, 'outside'), 'runner secret\n');
  return { root, workspace };
}

describe('files of the checkout', () => {
  it('reads a file inside the workspace, and says undefined for a missing one', () => {
    const { workspace } = checkout();
    expect(readInWorkspace(workspace, 'app/CHECKS')).toBe('/ ok\n');
    expect(readInWorkspace(workspace, 'app/app.json')).toBeUndefined();
  });

  it('refuses a symlink that leads out of the workspace (file or directory), without reading it', () => {
    const { root, workspace } = checkout();
    symlinkSync(join(root, 'outside'), join(workspace, 'CHECKS'));
    symlinkSync(root, join(workspace, 'ctx'));
    expect(() => readInWorkspace(workspace, 'CHECKS')).toThrow(ConfigError);
    expect(() => readInWorkspace(workspace, 'CHECKS')).toThrow(
      '"CHECKS" leads outside the workspace; Baton uses only files of the checkout',
    );
    expect(() => inWorkspace(workspace, 'ctx')).toThrow(/leads outside the workspace/);
  });

  it('follows a symlink that stays inside', () => {
    const { workspace } = checkout();
    symlinkSync('app', join(workspace, 'current'));
    expect(inWorkspace(workspace, 'current')).toBe(join(workspace, 'app'));
  });
});
