import type * as SmolToml from 'smol-toml';
import { loadOnUse } from '../load-on-use.js';

/** smol-toml, loaded when a registry file is first read (the CLI's `run` of a local image never reads one). */
export const toml = loadOnUse<typeof SmolToml>('smol-toml');
