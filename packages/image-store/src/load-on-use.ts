import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded on its first use, not when image-store loads: a shim that never
 * builds, signs, decodes zstd in JavaScript or reads registry files keeps those packages out of
 * its memory (and a CLI command out of their load time).
 */
export function loadOnUse<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
