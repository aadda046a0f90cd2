import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { HostHelperError } from './errors.js';

/** Where `npm run build` puts the malloc-trim addon (src/addon/malloc-trim.c). */
export function builtMallocTrimPath(): string {
  return fileURLToPath(new URL('../dist/malloc-trim.node', import.meta.url));
}

const require = createRequire(import.meta.url);

interface MallocAddon {
  trim(): boolean;
  limitArenas(count: number): boolean;
}
const loaded = new Map<string, MallocAddon>();

function loadAddon(addon: string): MallocAddon {
  let exports = loaded.get(addon);
  if (exports === undefined) {
    try {
      exports = require(addon) as MallocAddon;
    } catch (e) {
      throw new HostHelperError('ADDON_MISSING', `cannot load the malloc-trim addon ${addon} (built by @shimkit/host-helper's npm run build): ${(e as Error).message}`, { cause: e });
    }
    loaded.set(addon, exports);
  }
  return exports;
}

/**
 * Gives the free pages of this process's C heaps back to the kernel (glibc's `malloc_trim(0)`,
 * through a small addon: no other process can do it). Node's buffers live in those heaps, and
 * after a burst of them glibc keeps their pages. Takes a few milliseconds on a heap of tens of
 * MiB; meant for a daemon gone idle. Returns whether any memory was released. Throws
 * HostHelperError `ADDON_MISSING` when the addon is not built.
 */
export function trimMallocHeap(addon: string = builtMallocTrimPath()): boolean {
  return loadAddon(addon).trim();
}

/**
 * Caps how many heaps (arenas) glibc's malloc keeps for this process's threads (`mallopt(M_ARENA_MAX)`,
 * what `MALLOC_ARENA_MAX` sets at a process's start). Without a cap every thread that allocates
 * gets its own, up to 8 per core, and each keeps pages that malloc_trim gives back only in part.
 * Applies to arenas made after the call: call it first thing. Throws RangeError for a count
 * that is not a positive integer, HostHelperError `ADDON_MISSING` when the addon is not built.
 */
export function limitMallocArenas(count: number, addon: string = builtMallocTrimPath()): boolean {
  if (!Number.isInteger(count) || count < 1 || count > 1024) throw new RangeError(`limitMallocArenas: the number of arenas must be an integer from 1 to 1024, not ${count}`);
  return loadAddon(addon).limitArenas(count);
}
