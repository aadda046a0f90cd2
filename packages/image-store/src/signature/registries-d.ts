import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageReference } from '@shimkit/oci-spec';
import { formatImageReference } from '@shimkit/oci-spec';
import type * as Yaml from 'js-yaml';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';
import { dockerScopes } from './policy-scopes.js';

const yaml = loadOnUse<typeof Yaml>('js-yaml');

/** Where signatures of images in one scope live (a section of containers-registries.d(5)). */
export interface SignatureStorageConfig {
  /** URL signatures are read from (`file:///dir`, `https://host/path`). */
  lookaside?: string;
  /** URL signatures are written to (default: `lookaside`); only `file://` is writable. */
  lookasideStaging?: string;
  /** Read and write sigstore signatures as registry attachments (`.sig` tags). */
  useSigstoreAttachments?: boolean;
}

/** Merged registries.d configuration: `default-docker` and per-scope `docker` sections. */
export interface RegistriesDirConfig {
  defaultDocker?: SignatureStorageConfig;
  docker: Record<string, SignatureStorageConfig>;
}

const KEYS: Record<string, keyof SignatureStorageConfig> = {
  lookaside: 'lookaside',
  'lookaside-staging': 'lookasideStaging',
  // Older names of the two.
  sigstore: 'lookaside',
  'sigstore-staging': 'lookasideStaging',
  'use-sigstore-attachments': 'useSigstoreAttachments',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function section(v: unknown, where: string): SignatureStorageConfig {
  if (!isObject(v)) throw new ImageStoreError('INVALID_ARGUMENT', `${where}: expected a mapping`);
  const out: SignatureStorageConfig = {};
  for (const [k, value] of Object.entries(v)) {
    const key = KEYS[k];
    if (key === undefined) throw new ImageStoreError('INVALID_ARGUMENT', `${where}: unknown key ${JSON.stringify(k)} (expected lookaside, lookaside-staging, use-sigstore-attachments)`);
    if (key === 'useSigstoreAttachments') {
      if (typeof value !== 'boolean') throw new ImageStoreError('INVALID_ARGUMENT', `${where}.${k}: expected true or false`);
      out.useSigstoreAttachments = value;
    } else {
      if (typeof value !== 'string' || !/^(file|https?):\/\//.test(value)) throw new ImageStoreError('INVALID_ARGUMENT', `${where}.${k}: expected a file://, http:// or https:// URL, got ${JSON.stringify(value)}`);
      out[key] = value;
    }
  }
  return out;
}

/** Parses one registries.d YAML document into `into`; a scope configured twice is an error naming both files. */
function mergeRegistriesDocument(into: RegistriesDirConfig & { origins?: Map<string, string> }, document: { text: string; file: string }): void {
  const { text, file } = document;
  let doc: unknown;
  try {
    doc = yaml().load(text, { filename: file });
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${file}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  if (doc === undefined || doc === null) return;
  if (!isObject(doc)) throw new ImageStoreError('INVALID_ARGUMENT', `${file}: expected a mapping at the top`);
  const origins = (into.origins ??= new Map());
  const claim = (scope: string) => {
    const before = origins.get(scope);
    if (before !== undefined) throw new ImageStoreError('INVALID_ARGUMENT', `${file}: ${scope} is configured again (first in ${before})`);
    origins.set(scope, file);
  };
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'default-docker') {
      claim('default-docker');
      into.defaultDocker = section(v, `${file}: default-docker`);
    } else if (k === 'docker') {
      if (!isObject(v)) throw new ImageStoreError('INVALID_ARGUMENT', `${file}: docker: expected a mapping of scopes`);
      for (const [scope, s] of Object.entries(v)) {
        claim(`docker scope ${scope}`);
        into.docker[scope] = section(s, `${file}: docker.${scope}`);
      }
    } else {
      throw new ImageStoreError('INVALID_ARGUMENT', `${file}: unknown top-level key ${JSON.stringify(k)} (expected docker, default-docker)`);
    }
  }
}

/** Reads every `*.yaml` file of a registries.d directory (a missing directory is an empty configuration). */
export async function loadRegistriesDir(dir: string): Promise<RegistriesDirConfig> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { docker: {} };
    throw new ImageStoreError('INVALID_ARGUMENT', `registries.d ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const config: RegistriesDirConfig & { origins?: Map<string, string> } = { docker: {} };
  for (const name of names) {
    const file = join(dir, name);
    mergeRegistriesDocument(config, { text: await readFile(file, 'utf8'), file });
  }
  delete config.origins;
  return config;
}

/** The section for an image: the most precise matching scope, else default-docker, else none. */
export function signatureStorageFor(config: RegistriesDirConfig | undefined, ref: ImageReference): SignatureStorageConfig {
  if (config === undefined) return {};
  for (const scope of dockerScopes(formatImageReference(ref), { wildcards: false })) {
    const found = config.docker[scope];
    if (found !== undefined) return found;
  }
  return config.defaultDocker ?? {};
}
