import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMountinfo } from './mountinfo.js';

describe('readMountinfo', () => {
  it("lists this namespace's mounts with their types, mount points unescaped", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mountinfo-test-'));
    const point = join(dir, 'with space\tand tab');
    mkdirSync(point);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'mountinfo-test', point]);
    try {
      const mounts = await readMountinfo();
      expect(mounts).toContainEqual(expect.objectContaining({ mountPoint: '/proc', fsType: 'proc' }));
      expect(mounts).toContainEqual({ mountPoint: point, fsType: 'tmpfs', superOptions: expect.stringContaining('size=1024k') });
    } finally {
      execFileSync('umount', [point]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
