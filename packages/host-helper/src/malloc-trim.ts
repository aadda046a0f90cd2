import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { HostHelperError } from './errors.js';

/** Where `npm run build` puts the malloc-trim addon (src/addon/malloc-trim.c). */
export function builtMallocTrimPath(): string {
  return fileURLToPath(new URL('../dist/malloc-trim.node', import.meta.url));
}

const require = createRequire(import.meta.url);
const loaded = new Map<string, () => boolean>();

/**
 * Gives the free pages of this process's C heaps back to the kernel (glibc's `malloc_trim(0)`,
 * through a small addon: no other process can do it). Node's buffers live in those heaps, and
 * after a burst of them glibc keeps their pages. Takes a few milliseconds on a heap of tens of
 * MiB; meant for a daemon gone idle. Returns whether any memory was released. Throws
 * HostHelperError `ADDON_MISSING` when the addon is not built.
 */
export function trimMallocHeap(addon: string = builtMallocTrimPath()): boolean {
  let trim = loaded.get(addon);
  if (trim === undefined) {
    try {
      trim = (require(addon) as { trim: () => boolean }).trim;
    } catch (e) {
      throw new HostHelperError('ADDON_MISSING', `cannot load the malloc-trim addon ${addon} (built by @shimkit/host-helper's npm run build): ${(e as Error).message}`, { cause: e });
    }
    loaded.set(addon, trim);
  }
  return trim();
}
