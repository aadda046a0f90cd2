import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidRegistryFile as invalid, isTable, parseTomlFile } from './toml.js';
import { ImageStoreError } from '../errors.js';
import type { RegistryHosts } from './hosts-dir.js';
import type { RegistryHostConfig } from './registry-client.js';

/** What a containers-registries.conf(5) v2 file configures. */
export interface RegistriesConf {
  hosts: RegistryHosts;
  /** `unqualified-search-registries`, as written (read, but short names still resolve to docker.io). */
  unqualifiedSearchRegistries: string[];
}

const TOP_KEYS = ['unqualified-search-registries', 'short-name-mode', 'credential-helpers', 'registry', 'aliases'];
const REGISTRY_KEYS = ['prefix', 'location', 'insecure', 'blocked', 'mirror', 'mirror-by-digest-only'];
const MIRROR_KEYS = ['location', 'insecure', 'pull-from-mirror'];

function checkKeys(table: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(table).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw invalid(where, `unknown key ${JSON.stringify(extra)} (expected ${allowed.join(', ')})`);
}

function flag(table: Record<string, unknown>, key: string, where: string): boolean {
  const value = table[key] ?? false;
  if (typeof value !== 'boolean') throw invalid(`${where}.${key}`, `expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** A registry host (`host[:port]`); namespaces (`host/path`) and wildcards are not supported. */
function hostOf(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(where, `expected a registry host, got ${JSON.stringify(value)}`);
  if (value.includes('/') || value.startsWith('*.')) throw invalid(where, `${JSON.stringify(value)}: only whole registries (host[:port]) are supported, not namespaces or wildcards`);
  return value;
}

/**
 * Parses a registries.conf v2 document: each `[[registry]]` (`prefix`, `location`, `insecure`:
 * no TLS verification, `blocked`) and its `[[registry.mirror]]` entries (`location`,
 * `insecure`), tried in order before the registry for pulls.
 */
export function parseRegistriesConf(text: string, file: string): RegistriesConf {
  const doc = parseTomlFile(text, file);
  if ('registries' in doc) throw invalid(file, 'the v1 format ([registries.search], [registries.insecure]) is not supported; write [[registry]] tables (v2)');
  checkKeys(doc, TOP_KEYS, file);
  const search = doc['unqualified-search-registries'] ?? [];
  if (!Array.isArray(search) || !search.every((s) => typeof s === 'string')) throw invalid(`${file}: unqualified-search-registries`, 'expected an array of strings');
  const registries = doc.registry ?? [];
  if (!Array.isArray(registries)) throw invalid(`${file}: registry`, 'expected [[registry]] tables');
  const hosts: RegistryHosts = {};
  const prefixes = new Set<string>();
  registries.forEach((entry: unknown, i) => {
    const where = `${file}: registry[${i}]`;
    if (!isTable(entry)) throw invalid(where, 'expected a table');
    checkKeys(entry, REGISTRY_KEYS, where);
    if (flag(entry, 'mirror-by-digest-only', where)) throw invalid(`${where}.mirror-by-digest-only`, 'is not supported (mirrors serve every pull)');
    const location = entry.location === undefined || entry.location === '' ? undefined : hostOf(entry.location, `${where}.location`);
    const prefix = hostOf(entry.prefix ?? location, `${where}.prefix`);
    if (prefixes.has(prefix)) throw invalid(where, `registry ${prefix} is configured twice`);
    prefixes.add(prefix);
    const own: RegistryHostConfig = {};
    if (location !== undefined && location !== prefix) own.endpoint = location;
    if (flag(entry, 'insecure', where)) own.tls = { insecureSkipVerify: true };
    if (flag(entry, 'blocked', where)) own.blocked = true;
    const mirrors = entry.mirror ?? [];
    if (!Array.isArray(mirrors)) throw invalid(`${where}.mirror`, 'expected [[registry.mirror]] tables');
    own.mirrors = mirrors.map((mirror: unknown, j) => {
      const at = `${where}.mirror[${j}]`;
      if (!isTable(mirror)) throw invalid(at, 'expected a table');
      checkKeys(mirror, MIRROR_KEYS, at);
      const pullFrom = mirror['pull-from-mirror'] ?? 'all';
      if (pullFrom !== 'all') throw invalid(`${at}.pull-from-mirror`, `only "all" is supported, got ${JSON.stringify(pullFrom)}`);
      const host = hostOf(mirror.location, `${at}.location`);
      if (flag(mirror, 'insecure', at)) hosts[host] = { ...hosts[host], tls: { insecureSkipVerify: true } };
      return host;
    });
    if (own.mirrors.length === 0) delete own.mirrors;
    hosts[prefix] = { ...hosts[prefix], ...own };
  });
  return { hosts, unqualifiedSearchRegistries: search as string[] };
}

async function readConf(path: string): Promise<RegistriesConf> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read registries.conf ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseRegistriesConf(text, path);
}

/**
 * Reads a registries.conf file (see {@link parseRegistriesConf}) and the drop-ins of
 * `<path>.d/*.conf` in name order, as containers-registries.conf.d(5): a registry a later file
 * configures replaces the earlier one whole, and a later search list replaces the earlier.
 */
export async function loadRegistriesConf(path: string): Promise<RegistriesConf> {
  const merged = await readConf(path);
  let dropIns: string[] = [];
  try {
    dropIns = (await readdir(`${path}.d`)).filter((name) => name.endsWith('.conf')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') {
      throw new ImageStoreError('INVALID_ARGUMENT', `cannot read ${path}.d: ${(e as Error).message}`, { cause: e });
    }
  }
  for (const name of dropIns) {
    const next = await readConf(join(`${path}.d`, name));
    Object.assign(merged.hosts, next.hosts);
    if (next.unqualifiedSearchRegistries.length > 0) merged.unqualifiedSearchRegistries = next.unqualifiedSearchRegistries;
  }
  return merged;
}
