import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanSourcePath, digestSources, loadIgnoreFile, resolveSources } from './build-context.js';

let context: string;

beforeEach(async () => {
  context = await mkdtemp(join(tmpdir(), 'build-context-test-'));
  for (const [path, text] of Object.entries({ 'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c', 'src/x.ts': 'x', 'src/y.ts': 'y', 'src/gen/z.ts': 'z', 'src/gen/keep.ts': 'k' })) {
    await mkdir(join(context, path, '..'), { recursive: true });
    await writeFile(join(context, path), text);
  }
});
afterEach(async () => {
  await rm(context, { recursive: true, force: true });
});

describe('build context', () => {
  it('matches globs per path component, in order', async () => {
    expect((await resolveSources(context, '*.txt', { what: 'COPY' })).map((s) => s.rel)).toEqual(['a.txt', 'b.txt']);
    expect((await resolveSources(context, 'src/*.ts', { what: 'COPY' })).map((s) => s.rel)).toEqual(['src/x.ts', 'src/y.ts']);
    expect((await resolveSources(context, './src/../c.md', { what: 'COPY' })).map((s) => s.rel)).toEqual(['c.md']);
  });

  it('reads .containerignore (over .dockerignore) with ** and ! exceptions', async () => {
    await writeFile(join(context, '.dockerignore'), '*\n');
    await writeFile(join(context, '.containerignore'), '# comment\n*.md\nsrc/**/*.ts\n!src/gen/keep.ts\n');
    const ignored = await loadIgnoreFile(context);
    expect(['c.md', 'src/x.ts', 'src/gen/z.ts'].map(ignored)).toEqual([true, true, true]);
    expect(['a.txt', 'src/gen/keep.ts', 'src'].map(ignored)).toEqual([false, false, false]);
    await expect(resolveSources(context, 'c.md', { what: 'COPY', ignored })).rejects.toThrow('COPY: "c.md" is not in the build context');
  });

  it('digests content and modes, not ignored files', async () => {
    const ignored = await loadIgnoreFile(context);
    const digest = async () => digestSources(await resolveSources(context, 'src', { what: 'COPY', ignored }), { ignored });
    const before = await digest();
    await writeFile(join(context, '.containerignore'), 'src/gen\n');
    const withIgnore = await loadIgnoreFile(context);
    const ignoring = async () => digestSources(await resolveSources(context, 'src', { what: 'COPY', ignored: withIgnore }), { ignored: withIgnore });
    const a = await ignoring();
    await writeFile(join(context, 'src/gen/z.ts'), 'changed but ignored');
    expect(await ignoring()).toBe(a);
    await writeFile(join(context, 'src/x.ts'), 'changed');
    expect(await digest()).not.toBe(before);
  });

  it('refuses paths that leave the context', () => {
    expect(() => cleanSourcePath('a/../../b', 'COPY')).toThrow('COPY: "a/../../b" is outside the build context');
  });
});
