import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '@shimkit/oci-spec';
import { writeFileAtomic } from '../content/atomic-write.js';

/** The file under a store's root mapping step cache keys to the ids of the images the steps made. */
export const BUILD_CACHE_FILE = 'build-cache.json';

/** A key for a step: its parent's key and everything the step's result depends on. */
export function stepKey(parent: string, ...inputs: readonly string[]): string {
  const hash = createHash('sha256').update(parent);
  for (const input of inputs) hash.update('\0').update(input);
  return hash.digest('hex');
}

/**
 * The layer cache of builds: step key -> the (unnamed) image the step committed. An entry whose
 * image has gone (gc pruned it) is a miss. Saved atomically after each new entry.
 */
export class BuildCache {
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string, private readonly entries: Map<string, Digest>) {}

  static async open(storeRoot: string): Promise<BuildCache> {
    const file = join(storeRoot, BUILD_CACHE_FILE);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    let entries: Record<string, Digest> = {};
    try {
      if (text !== undefined) entries = (JSON.parse(text) as { steps: Record<string, Digest> }).steps ?? {};
    } catch {
      // A damaged cache is only a slower build.
    }
    return new BuildCache(file, new Map(Object.entries(entries)));
  }

  get(key: string): Digest | undefined {
    return this.entries.get(key);
  }

  async set(key: string, image: Digest): Promise<void> {
    this.entries.set(key, image);
    const doc = JSON.stringify({ steps: Object.fromEntries(this.entries) });
    this.saving = this.saving.catch(() => undefined).then(() => writeFileAtomic(this.file, doc));
    await this.saving;
  }
}
