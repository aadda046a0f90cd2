import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@shimkit/image-store';
import { networkListFromObject, type CniNetworkList } from './cni-config.js';
import { CniError } from './cni-error.js';

/** What is remembered about an attached pod between its ADD and its DEL. */
export interface CniCacheEntry {
  containerId: string;
  netnsPath: string;
  ifName: string;
  cniArgs: string;
  capabilityArgs: Record<string, unknown>;
  /** The network as ADD used it, so DEL runs the same plugins with the same configuration. */
  network: CniNetworkList;
  /** The ADD result: `prevResult` of every DEL. */
  result: unknown;
}

interface Stored extends Omit<CniCacheEntry, 'network'> {
  version: 1;
  network: { file: string; source: unknown };
}

/**
 * ADD results on disk, one atomic JSON file per container (libcni keeps a result cache for
 * the same reason: DEL must get the ADD result, even after a restart of the runtime).
 */
export class CniResultCache {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(containerId: string): string {
    return join(this.#dir, `${containerId}.json`);
  }

  /** The entry of a container, or undefined. Throws `CacheFailed` when it is unreadable or corrupt. */
  async read(containerId: string): Promise<CniCacheEntry | undefined> {
    const path = this.#path(containerId);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CniError('CacheFailed', `cannot read CNI result cache ${path}: ${(e as Error).message}`, { cause: e, file: path });
    }
    try {
      const stored = JSON.parse(text) as Stored;
      if (stored.version !== 1 || stored.containerId !== containerId) throw new Error('not a cache entry of this container');
      const { version: _version, network, ...rest } = stored;
      return { ...rest, network: networkListFromObject(network.source, network.file) };
    } catch (e) {
      throw new CniError('CacheFailed', `corrupt CNI result cache ${path}: ${(e as Error).message}`, { cause: e, file: path });
    }
  }

  async write(entry: CniCacheEntry): Promise<void> {
    const stored: Stored = { ...entry, version: 1, network: { file: entry.network.file, source: entry.network.source } };
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.#path(entry.containerId), JSON.stringify(stored), { mode: 0o600 });
    } catch (e) {
      throw new CniError('CacheFailed', `cannot write CNI result cache for ${entry.containerId}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Deletes a container's entry (missing is fine). */
  async remove(containerId: string): Promise<void> {
    await rm(this.#path(containerId), { force: true });
  }
}
