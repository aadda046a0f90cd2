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
  setOption(name: keyof MallocTuning, value: number): boolean;
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

/** Settings of glibc's malloc that {@link tuneMalloc} makes (`mallopt()`). */
export interface MallocTuning {
  /** Arenas (heaps) for all threads: without a cap each thread that allocates gets its own, up to 8 per core (`M_ARENA_MAX`). */
  arenaMax?: number;
  /** Blocks from this size up are mmapped and unmapped when freed; set, glibc stops raising it after frees (`M_MMAP_THRESHOLD`, at most 32 MiB). */
  mmapThreshold?: number;
  /** Free space at a heap's top beyond this goes back to the kernel at once (`M_TRIM_THRESHOLD`). */
  trimThreshold?: number;
}

const TUNING_LIMITS: Record<keyof MallocTuning, number> = { arenaMax: 1024, mmapThreshold: 32 * 1024 * 1024, trimThreshold: 2 ** 31 - 1 };

/**
 * Sets glibc's malloc options in this process (what `MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`
 * and `MALLOC_TRIM_THRESHOLD_` set at a process's start). An arena cap applies to arenas made
 * after the call: call it first thing. Throws RangeError naming a value that is not an integer
 * in range, HostHelperError `ADDON_MISSING` when the addon is not built.
 */
export function tuneMalloc(tuning: MallocTuning, addon: string = builtMallocTrimPath()): void {
  const settings = Object.entries(tuning).filter(([, value]) => value !== undefined) as [keyof MallocTuning, number][];
  for (const [name, value] of settings) {
    const max = Object.hasOwn(TUNING_LIMITS, name) ? TUNING_LIMITS[name] : undefined;
    if (max === undefined) throw new RangeError(`tuneMalloc: unknown option ${name}`);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`tuneMalloc: ${name} must be an integer from 1 to ${max}, not ${value}`);
  }
  const exports = loadAddon(addon);
  for (const [name, value] of settings) if (!exports.setOption(name, value)) throw new RangeError(`tuneMalloc: glibc refused ${name} ${value}`);
}
