import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CniError } from './cni-error.js';

/** File extensions read from the conf dir, as libcni does. */
export const CNI_CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

/** CNI spec versions whose configuration and result formats this runtime understands. */
export const SUPPORTED_CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** One plugin of a network configuration list. */
export interface CniPluginConfig {
  /** The plugin binary's name. */
  readonly type: string;
  /** The IPAM plugin it delegates to (`ipam.type`), if any. */
  readonly ipamType: string | undefined;
  /** Capabilities it declares (`capabilities` keys set to true), e.g. `portMappings`. */
  readonly capabilities: readonly string[];
  /** The plugin's configuration as written. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A network configuration list (a `.conf` file becomes a list of one plugin). */
export interface CniNetworkList {
  /** The file it was read from. */
  readonly file: string;
  readonly name: string;
  readonly cniVersion: string;
  readonly disableCheck: boolean;
  readonly plugins: readonly CniPluginConfig[];
  /** The normalized list object (kept in the result cache so DEL uses what ADD used). */
  readonly source: Readonly<Record<string, unknown>>;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// A plugin type names a file inside a bin dir: no path separators, no dot-only names.
const PLUGIN_TYPE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The configuration files of `confDir` in the order they are considered (lexical). */
export async function listConfigFiles(confDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(confDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CniError('InvalidConfig', `cannot read CNI conf dir ${confDir}: ${(e as Error).message}`, { cause: e, file: confDir });
  }
  return names
    .filter((n) => (CNI_CONFIG_EXTENSIONS as readonly string[]).includes(extname(n)))
    .sort()
    .map((n) => join(confDir, n));
}

/**
 * Loads the network of `confDir`: the first `.conf`, `.conflist` or `.json` file in lexical
 * order (as containerd and CRI-O choose). Throws `NoConfig` when there is none and
 * `InvalidConfig`, naming the file, when it is not a valid configuration.
 */
export async function loadNetworkList(confDir: string): Promise<CniNetworkList> {
  const [file] = await listConfigFiles(confDir);
  if (file === undefined) throw new CniError('NoConfig', `no network config found in ${confDir}`, { file: confDir });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CniError('InvalidConfig', `cannot read CNI config ${file}: ${(e as Error).message}`, { cause: e, file });
  }
  return parseNetworkList(text, file);
}

/** Parses a `.conflist` (object with `plugins`) or a single-plugin `.conf` (object with `type`). */
export function parseNetworkList(text: string, file: string): CniNetworkList {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CniError('InvalidConfig', `invalid CNI config ${file}: not JSON (${(e as Error).message})`, { cause: e, file });
  }
  return networkListFromObject(value, file);
}

/** Validates a parsed configuration and normalizes a single-plugin one into a list. */
export function networkListFromObject(value: unknown, file: string): CniNetworkList {
  const bad = (what: string): CniError => new CniError('InvalidConfig', `invalid CNI config ${file}: ${what}`, { file });
  if (!isObject(value)) throw bad('not a JSON object');
  let source: Record<string, unknown>;
  if (Array.isArray(value.plugins)) {
    source = value;
  } else if (value.plugins === undefined && typeof value.type === 'string') {
    const { name, cniVersion, ...plugin } = value;
    source = { name, cniVersion, plugins: [plugin] };
  } else {
    throw bad('"plugins" must be a list of plugin configurations (or the file one plugin configuration with "type")');
  }
  const { name, cniVersion, disableCheck } = source;
  if (typeof name !== 'string' || !NAME.test(name)) throw bad(`"name" must be a network name (letters, digits, "_", ".", "-"), got ${JSON.stringify(name)}`);
  if (typeof cniVersion !== 'string') throw bad('"cniVersion" is missing');
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw bad(`unsupported "cniVersion" ${JSON.stringify(cniVersion)} (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`);
  }
  const plugins = (source.plugins as unknown[]).map((p, i) => pluginConfig(p, i, bad));
  if (plugins.length === 0) throw bad('"plugins" is empty');
  return { file, name, cniVersion, disableCheck: disableCheck === true || disableCheck === 'true', plugins, source };
}

function pluginConfig(p: unknown, i: number, bad: (what: string) => CniError): CniPluginConfig {
  if (!isObject(p)) throw bad(`plugins[${i}] is not an object`);
  if (typeof p.type !== 'string' || !PLUGIN_TYPE.test(p.type)) throw bad(`plugins[${i}].type must be a plugin binary name, got ${JSON.stringify(p.type)}`);
  let ipamType: string | undefined;
  if (p.ipam !== undefined) {
    if (!isObject(p.ipam)) throw bad(`plugins[${i}].ipam is not an object`);
    if (p.ipam.type !== undefined) {
      if (typeof p.ipam.type !== 'string' || !PLUGIN_TYPE.test(p.ipam.type)) throw bad(`plugins[${i}].ipam.type must be a plugin binary name, got ${JSON.stringify(p.ipam.type)}`);
      ipamType = p.ipam.type;
    }
  }
  if (p.capabilities !== undefined && !isObject(p.capabilities)) throw bad(`plugins[${i}].capabilities is not an object`);
  const capabilities = Object.entries(p.capabilities ?? {})
    .filter(([, on]) => on === true)
    .map(([k]) => k);
  return { type: p.type, ipamType, capabilities, raw: p };
}

/** Compares dotted CNI versions: negative when `a` is older than `b`. */
export function compareCniVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
