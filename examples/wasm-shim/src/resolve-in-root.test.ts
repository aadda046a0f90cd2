import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveInRoot } from './resolve-in-root.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wasm-root-'));
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'f'), 'x');
  symlinkSync('/a/b', join(root, 'abs'));
  symlinkSync('../../../../..', join(root, 'a', 'up'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('follows absolute and relative links inside the root, and .. stops at it', async () => {
  expect(await resolveInRoot(root, '/abs/f')).toBe(join(root, 'a', 'b', 'f'));
  expect(await resolveInRoot(root, 'a/up/a/b/f')).toBe(join(root, 'a', 'b', 'f'));
  expect(await resolveInRoot(root, '/../../a/./b/../b/f')).toBe(join(root, 'a', 'b', 'f'));
});

it('fails with the fs code for a missing part and ELOOP for a link cycle', async () => {
  await expect(resolveInRoot(root, '/a/nope/f')).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(resolveInRoot(root, '/loop1')).rejects.toMatchObject({ code: 'ELOOP' });
});
