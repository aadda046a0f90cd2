import { ImageStoreError } from '../errors.js';

/**
 * Splits a tar entry path into components below the layer root. A leading
 * "./" is accepted (most layer writers use it) and "/" alone is the root;
 * any other absolute path, a ".."
 * anywhere, a "." after the start or a NUL byte is refused, so no entry can
 * name anything outside the root. The root itself is the empty array.
 */
export function entryComponents(path: string, what = 'entry'): string[] {
  const refuse = (why: string) =>
    new ImageStoreError('LAYER_UNSAFE_PATH', `layer ${what} ${JSON.stringify(path)} refused: ${why}`);
  if (path.includes('\0')) throw refuse('contains a NUL byte');
  // umoci writes the layer root as "/"; any other absolute path is refused.
  if (/^\/+$/.test(path)) return [];
  if (path.startsWith('/')) throw refuse('absolute paths are not allowed');
  const parts = path.split('/').filter((p) => p !== '');
  while (parts[0] === '.') parts.shift();
  for (const p of parts) {
    if (p === '..') throw refuse('".." would escape the root');
    if (p === '.') throw refuse('"." is only allowed as a leading component');
  }
  return parts;
}

/** The prefix that marks a whiteout file, and the name of the opaque-directory marker (OCI image-spec layer rules). */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
