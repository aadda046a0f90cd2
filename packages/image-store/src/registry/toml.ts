import type * as SmolToml from 'smol-toml';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';

// smol-toml, loaded when a registry file is first read (the CLI's `run` of a local image never reads one).
const toml = loadOnUse<typeof SmolToml>('smol-toml');

/** The error of a registry file's content: `where` names the file, and the key when there is one. */
export const invalidRegistryFile = (where: string, message: string): ImageStoreError => new ImageStoreError('INVALID_ARGUMENT', `${where}: ${message}`);

/** Parses a registry file's TOML; a syntax error names the file. */
export function parseTomlFile(text: string, file: string): Record<string, unknown> {
  try {
    return toml().parse(text);
  } catch (e) {
    throw invalidRegistryFile(file, `not valid TOML: ${(e as Error).message}`);
  }
}

/** A TOML table (smol-toml gives dates as Date objects, which are no tables). */
export const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
