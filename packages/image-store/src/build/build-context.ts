import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type dockerignore from '@balena/dockerignore';
import type Picomatch from 'picomatch';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';

// The package is CommonJS whose module.exports is the factory its types call the default export.
const ignore = loadOnUse<typeof dockerignore.default>('@balena/dockerignore');
const picomatch = loadOnUse<typeof Picomatch>('picomatch');

/** A file or directory a COPY or ADD takes, relative to its source root. */
export interface SourcePath {
  rel: string;
  abs: string;
  stats: Stats;
  /** Downloaded by ADD from a URL: copied as a file, never unpacked. */
  remote?: boolean;
}

/** Which context paths are left out (`.containerignore`, else `.dockerignore`, in the context); `rel` has no leading `/`. */
export type IgnoreMatcher = (rel: string) => boolean;

/** Reads the context's ignore file (Docker's syntax: Go patterns, `**`, `!` exceptions); none ignores nothing. */
export async function loadIgnoreFile(context: string): Promise<IgnoreMatcher> {
  for (const name of ['.containerignore', '.dockerignore']) {
    const text = await readFile(join(context, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const matcher = ignore()().add(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
    return (rel) => rel !== '' && matcher.ignores(rel);
  }
  return () => false;
}

/** `a/./b/`, `/a` -> `a/b`, `a`; ".." may not leave the root. */
export function cleanSourcePath(path: string, what: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: ${JSON.stringify(path)} is outside the build context`);
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

const GLOB = /[*?[]/;

/**
 * The paths a source pattern of COPY/ADD names under `root`: the path itself, or every path
 * its glob (`*`, `?`, `[...]`, matched per component as Docker does) matches, in sorted order.
 * Ignored paths are left out; a pattern naming nothing is NOT_FOUND.
 */
export async function resolveSources(root: string, pattern: string, options: { ignored?: IgnoreMatcher; what: string; signal?: AbortSignal }): Promise<SourcePath[]> {
  const ignored = options.ignored ?? (() => false);
  const clean = cleanSourcePath(pattern, options.what);
  if (!GLOB.test(clean)) {
    const abs = join(root, clean);
    const stats = await lstat(abs).catch(() => null);
    if (stats === null || ignored(clean)) throw new ImageStoreError('NOT_FOUND', `${options.what}: ${JSON.stringify(pattern)} is not in the build context`);
    return [{ rel: clean, abs, stats }];
  }
  const match = picomatch()(clean, { dot: true });
  const depth = clean.split('/').length;
  const found: SourcePath[] = [];
  async function walk(rel: string, level: number): Promise<void> {
    if (options.signal?.aborted) throw new ImageStoreError('ABORTED', `${options.what} aborted`, { cause: options.signal.reason });
    for (const name of (await readdir(join(root, rel))).sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (ignored(childRel)) continue;
      const abs = join(root, childRel);
      if (level === depth) {
        if (match(childRel)) found.push({ rel: childRel, abs, stats: await lstat(abs) });
        continue;
      }
      const stats = await lstat(abs);
      if (stats.isDirectory()) await walk(childRel, level + 1);
    }
  }
  await walk('', 1);
  if (found.length === 0) throw new ImageStoreError('NOT_FOUND', `${options.what}: no file in the build context matches ${JSON.stringify(pattern)}`);
  return found;
}

/**
 * A digest of what copying `sources` would copy: names, types, modes, link targets and file
 * contents, walking directories (ignored paths left out). Owners and times are not in it, as
 * COPY sets the owner and Docker's cache ignores times.
 */
export async function digestSources(sources: readonly SourcePath[], options: { ignored?: IgnoreMatcher; signal?: AbortSignal } = {}): Promise<string> {
  const hash = createHash('sha256');
  const ignored = options.ignored ?? (() => false);
  async function add(abs: string, rel: string, stats: Stats): Promise<void> {
    if (options.signal?.aborted) throw new ImageStoreError('ABORTED', 'digest of build context aborted', { cause: options.signal.reason });
    hash.update(`${rel}\0${stats.mode}\0`);
    if (stats.isSymbolicLink()) hash.update(await readlink(abs));
    else if (stats.isFile()) {
      hash.update(`${stats.size}\0`);
      for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
    } else if (stats.isDirectory()) {
      for (const name of (await readdir(abs)).sort()) {
        const childRel = `${rel}/${name}`;
        if (ignored(childRel.replace(/^\/+/, ''))) continue;
        await add(join(abs, name), childRel, await lstat(join(abs, name)));
      }
    }
    hash.update('\n');
  }
  for (const s of sources) await add(s.abs, s.rel, s.stats);
  return hash.digest('hex');
}
