import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError } from './cni-error.js';

/** The first executable `<dir>/<type>` of `binDirs`, or undefined. */
export async function lookupPlugin(type: string, binDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of binDirs) {
    const path = join(dir, type);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not in this dir
    }
  }
  return undefined;
}

/** Like {@link lookupPlugin}, but throws `PluginNotFound` naming the plugin and the dirs searched. */
export async function findPlugin(type: string, binDirs: readonly string[]): Promise<string> {
  const path = await lookupPlugin(type, binDirs);
  if (path === undefined) {
    throw new CniError('PluginNotFound', `CNI plugin "${type}" not found in ${binDirs.join(', ') || '(no bin dirs)'}`, { plugin: type });
  }
  return path;
}
