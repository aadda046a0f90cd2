import { describe, expect, it } from 'vitest';
import type { PathKind, RootView } from './root-resolver.js';
import { MAX_SYMLINK_HOPS, resolveInRoot } from './root-resolver.js';

/** An in-memory tree: directories end with "/", symlinks are "name -> target", anything else is a file. */
class FakeView implements RootView {
  readonly paths = new Map<string, PathKind>();
  readonly lookups: string[] = [];
  readonly cache = new Map<string, PathKind>();

  constructor(spec: string[]) {
    for (const line of spec) {
      const [path, target] = line.split(' -> ');
      if (target !== undefined) this.paths.set(path!, { kind: 'symlink', target });
      else if (path!.endsWith('/')) this.paths.set(path!.slice(0, -1), { kind: 'directory' });
      else this.paths.set(path!, { kind: 'other' });
    }
  }

  cached(rel: string): PathKind | undefined {
    return this.cache.get(rel);
  }

  async lookup(rel: string): Promise<PathKind> {
    this.lookups.push(rel);
    return this.paths.get(rel) ?? { kind: 'missing' };
  }
}

const refuse = (why: string) => new Error(why);

async function resolve(spec: string[], path: string, makeDirs?: string[]): Promise<string | null> {
  const view = new FakeView(spec);
  const makeDir = makeDirs && (async (rel: string) => {
    makeDirs.push(rel);
    view.paths.set(rel, { kind: 'directory' });
  });
  const parts = await resolveInRoot(view, path.split('/'), { refuse, makeDir });
  return parts && parts.join('/');
}

describe('resolveInRoot', () => {
  it('keeps a path without symlinks as it is, and the root as []', async () => {
    expect(await resolve(['usr/', 'usr/bin/'], 'usr/bin/tool')).toBe('usr/bin/tool');
    expect(await resolveInRoot(new FakeView([]), [], { refuse })).toEqual([]);
    // a top-level name has no parent to look up
    const view = new FakeView([]);
    expect(await resolveInRoot(view, ['file'], { refuse })).toEqual(['file']);
    expect(view.lookups).toEqual([]);
  });

  it('follows a relative symlink from the directory that holds it', async () => {
    expect(await resolve(['usr/', 'usr/bin/', 'bin -> usr/bin'], 'bin/tool')).toBe('usr/bin/tool');
    expect(await resolve(['usr/', 'usr/lib/', 'usr/lib64 -> lib'], 'usr/lib64/libc.so')).toBe('usr/lib/libc.so');
  });

  it('takes an absolute target inside the root', async () => {
    expect(await resolve(['opt/', 'opt/real/', 'link -> /opt/real'], 'link/file')).toBe('opt/real/file');
    expect(await resolve(['a/', 'a/b/', 'a/b/up -> /', 'etc/'], 'a/b/up/etc/passwd')).toBe('etc/passwd');
    expect(await resolve(['etc/', 'to-root -> ///./'], 'to-root/etc/passwd')).toBe('etc/passwd');
  });

  it('goes up one resolved directory for "..", never above the root', async () => {
    expect(await resolve(['x/', 'y/', 'x/up -> ../y'], 'x/up/f')).toBe('y/f');
    expect(await resolve(['evil -> ../../..'], 'evil/file')).toBe('file');
    expect(await resolve(['a/', 'a/b/', 'a/b/evil -> ../../../../../etc', 'etc/'], 'a/b/evil/passwd')).toBe('etc/passwd');
    // ".." is taken from where the link led, not from the path as written
    expect(await resolve(['usr/', 'usr/lib/', 'lib -> usr/lib', 'usr/share/', 'share -> lib/../share'], 'share/doc')).toBe('usr/share/doc');
  });

  it('follows chains of symlinks and skips "." and empty components of targets', async () => {
    expect(await resolve(['c/', 'c/d/', 'b -> c/d', 'a -> b'], 'a/f')).toBe('c/d/f');
    expect(await resolve(['c/', 'c/d/', 'b -> ./c//d/.', 'a -> b/'], 'a/f')).toBe('c/d/f');
    expect(await resolve(['d/', 'd/e/', 'p/', 'p/l -> /d', 'q -> p/l/e'], 'q/f')).toBe('d/e/f');
  });

  it(`follows up to ${MAX_SYMLINK_HOPS} symlinks and refuses more (a loop)`, async () => {
    const chain = (n: number) => ['end/', ...Array.from({ length: n }, (_, i) => `l${i} -> ${i === n - 1 ? 'end' : `l${i + 1}`}`)];
    expect(await resolve(chain(MAX_SYMLINK_HOPS), 'l0/f')).toBe('end/f');
    await expect(resolve(chain(MAX_SYMLINK_HOPS + 1), 'l0/f')).rejects.toThrow(`more than ${MAX_SYMLINK_HOPS} symlinks on its path (a loop?)`);
    await expect(resolve(['a -> b', 'b -> a'], 'a/x')).rejects.toThrow(/more than 40 symlinks on its path \(a loop\?\), the last at "[ab]"/);
    await expect(resolve(['self -> self'], 'self/x')).rejects.toThrow(/a loop/);
    await expect(resolve(['d/', 'd/l -> ../d/l'], 'd/l/x')).rejects.toThrow(/a loop/);
  });

  it('does not follow the last component', async () => {
    const view = new FakeView(['usr/', 'usr/bin/', 'bin -> usr/bin', 'usr/bin/sh -> busybox']);
    expect(await resolveInRoot(view, ['bin'], { refuse })).toEqual(['bin']);
    expect(await resolveInRoot(view, ['bin', 'sh'], { refuse })).toEqual(['usr', 'bin', 'sh']);
    expect(view.lookups).toEqual(['bin', 'usr', 'usr/bin']);
  });

  it('refuses a parent that is not a directory, naming it as resolved', async () => {
    await expect(resolve(['a'], 'a/x')).rejects.toThrow('its parent "a" is not a directory');
    await expect(resolve(['usr/', 'usr/file', 'f -> usr/file'], 'f/x')).rejects.toThrow('its parent "usr/file" is not a directory');
  });

  it('ends with null at a missing parent, or makes it and goes on', async () => {
    expect(await resolve(['a -> missing/dir'], 'a/f')).toBeNull();
    expect(await resolve([], 'new/sub/f')).toBeNull();
    const made: string[] = [];
    expect(await resolve(['usr/', 'bin -> usr/bin'], 'bin/tool', made)).toBe('usr/bin/tool');
    expect(made).toEqual(['usr/bin']);
    const made2: string[] = [];
    expect(await resolve(['esc -> /home/user/outside'], 'esc/x', made2)).toBe('home/user/outside/x');
    expect(made2).toEqual(['home', 'home/user', 'home/user/outside']);
    // a made directory is followed by ".." like any other
    const made3: string[] = [];
    expect(await resolve(['l -> n/../m'], 'l/f', made3)).toBe('m/f');
    expect(made3).toEqual(['n', 'm']);
  });

  it('uses what the view has cached without looking it up', async () => {
    const view = new FakeView(['usr/', 'usr/bin/', 'bin -> usr/bin']);
    view.cache.set('bin', { kind: 'symlink', target: 'usr/bin' });
    view.cache.set('usr', { kind: 'directory' });
    expect(await resolveInRoot(view, ['bin', 'tool'], { refuse })).toEqual(['usr', 'bin', 'tool']);
    expect(view.lookups).toEqual(['usr/bin']);
  });
});
