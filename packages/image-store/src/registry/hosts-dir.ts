import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { invalidRegistryFile as invalid, isTable, parseTomlFile } from './toml.js';
import { ImageStoreError } from '../errors.js';
import { readHostCerts } from './certs-dir.js';
import type { RegistryHostConfig, RegistryTls } from './registry-client.js';

/** What one `hosts.toml` says, as host configs: the registry's own entry and one per mirror. */
export type RegistryHosts = Record<string, RegistryHostConfig>;

const HOST_KEYS = ['ca', 'client', 'skip_verify', 'capabilities', 'override_path'];
const CAPABILITIES = ['pull', 'resolve', 'push'];

function stringList(value: unknown, where: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw invalid(where, `expected a string or an array of strings, got ${JSON.stringify(value)}`);
}

/** `client`: a PEM file holding both, a [cert, key] pair, or a list of pairs (one is supported). */
function clientPair(value: unknown, where: string): [string, string] {
  if (typeof value === 'string') return [value, value];
  const pairs = Array.isArray(value) && value.every((v) => typeof v === 'string') ? [value] : value;
  if (!Array.isArray(pairs) || pairs.length !== 1) throw invalid(where, `expected one client certificate ("cert.pem", ["cert", "key"] or [["cert", "key"]]), got ${JSON.stringify(value)}`);
  const pair = pairs[0] as unknown;
  if (!Array.isArray(pair) || pair.length < 1 || pair.length > 2 || !pair.every((p) => typeof p === 'string')) throw invalid(where, `expected ["cert", "key"], got ${JSON.stringify(pair)}`);
  return [pair[0] as string, (pair[1] as string | undefined) ?? (pair[0] as string)];
}

/** `https://mirror:5000` (or `mirror:5000`, https) as the host name and whether it is plain HTTP. */
function endpointOf(url: string, where: string): { host: string; plainHttp: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    throw invalid(where, `not a host or URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(where, `scheme must be http or https, got ${parsed.protocol}`);
  if (parsed.pathname !== '/' && parsed.pathname !== '/v2' && parsed.pathname !== '/v2/') throw invalid(where, `a path in the host URL (${parsed.pathname}) is not supported; the API must be at /v2/`);
  return { host: parsed.host, plainHttp: parsed.protocol === 'http:' };
}

/** The TLS and capabilities of a host table (the top level, or a `[host."..."]`). */
function hostSettings(table: Record<string, unknown>, where: string, dir: string): { tls?: RegistryTls; capabilities: string[] } {
  const path = (p: string): string => (isAbsolute(p) ? p : join(dir, p));
  const tls: RegistryTls = {};
  if (table.ca !== undefined) tls.caFile = stringList(table.ca, `${where}.ca`).map(path);
  if (table.client !== undefined) [tls.certFile, tls.keyFile] = clientPair(table.client, `${where}.client`).map(path) as [string, string];
  if (table.skip_verify !== undefined) {
    if (typeof table.skip_verify !== 'boolean') throw invalid(`${where}.skip_verify`, 'expected true or false');
    tls.insecureSkipVerify = table.skip_verify;
  }
  if (table.override_path !== undefined && table.override_path !== false) throw invalid(`${where}.override_path`, 'is not supported (the API must be at /v2/)');
  const capabilities = table.capabilities === undefined ? CAPABILITIES : stringList(table.capabilities, `${where}.capabilities`);
  const unknown = capabilities.find((c) => !CAPABILITIES.includes(c));
  if (unknown !== undefined) throw invalid(`${where}.capabilities`, `unknown capability ${JSON.stringify(unknown)} (expected pull, resolve, push)`);
  return { ...(Object.keys(tls).length === 0 ? {} : { tls }), capabilities };
}

/**
 * Parses containerd's `hosts.toml` for registry `registry` (its directory's name): `server`
 * (the registry's endpoint; http:// for plain HTTP), and `[host."URL"]` mirrors tried in
 * order for pulls (those with the `pull` capability), each with `ca`, `client` and
 * `skip_verify`; relative paths are under `dir`. Unknown keys are errors naming them.
 */
export function parseHostsToml(text: string, registry: string, options: { file: string; dir: string }): RegistryHosts {
  const { file, dir } = options;
  const doc = parseTomlFile(text, file);
  for (const key of Object.keys(doc)) {
    if (!['server', 'host', ...HOST_KEYS].includes(key)) throw invalid(file, `unknown key ${JSON.stringify(key)} (shimkit reads server, host, ${HOST_KEYS.join(', ')})`);
  }
  const own: RegistryHostConfig = {};
  const hosts: RegistryHosts = { [registry]: own };
  if (doc.server !== undefined) {
    if (typeof doc.server !== 'string') throw invalid(`${file}: server`, 'expected a URL string');
    const { host, plainHttp } = endpointOf(doc.server, `${file}: server`);
    if (host !== registry) own.endpoint = host;
    own.plainHttp = plainHttp;
  }
  const top = hostSettings(doc, file, dir);
  if (top.tls !== undefined) own.tls = top.tls;
  if (doc.host !== undefined && !isTable(doc.host)) throw invalid(`${file}: host`, 'expected tables [host."URL"]');
  const mirrors: string[] = [];
  for (const [url, table] of Object.entries(doc.host ?? {})) {
    const where = `${file}: host."${url}"`;
    if (!isTable(table)) throw invalid(where, 'expected a table');
    const extra = Object.keys(table).find((k) => !HOST_KEYS.includes(k));
    if (extra !== undefined) throw invalid(where, `unknown key ${JSON.stringify(extra)} (shimkit reads ${HOST_KEYS.join(', ')})`);
    const { host, plainHttp } = endpointOf(url, where);
    const settings = hostSettings(table, where, dir);
    if (!settings.capabilities.includes('pull')) continue;
    mirrors.push(host);
    hosts[host] = { ...hosts[host], plainHttp, ...(settings.tls === undefined ? {} : { tls: settings.tls }) };
  }
  if (mirrors.length > 0) own.mirrors = mirrors;
  return hosts;
}

/**
 * Reads containerd's registry host directory (its `config_path`, e.g. `/etc/containerd/certs.d`):
 * `<dir>/<registry>/hosts.toml`, or where there is none, the certificates of that directory
 * (`*.crt`, `client.cert` + `client.key`). A missing directory configures nothing.
 */
export async function loadHostsDir(dir: string): Promise<RegistryHosts> {
  let registries: string[];
  try {
    registries = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read registry host directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const out: RegistryHosts = {};
  for (const registry of registries) {
    if (registry === '_default') throw new ImageStoreError('INVALID_ARGUMENT', `${join(dir, registry)}: the _default host namespace is not supported; configure each registry in its own directory`);
    const hostDir = join(dir, registry);
    const file = join(hostDir, 'hosts.toml');
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ImageStoreError('INVALID_ARGUMENT', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    if (text === undefined) {
      const tls = await readHostCerts(hostDir);
      if (tls !== undefined) out[registry] = { ...out[registry], tls };
      continue;
    }
    for (const [host, config] of Object.entries(parseHostsToml(text, registry, { file, dir: hostDir }))) out[host] = { ...out[host], ...config };
  }
  return out;
}
