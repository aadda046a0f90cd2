import { loadCertsDir } from './certs-dir.js';
import { loadHostsDir, type RegistryHosts } from './hosts-dir.js';
import { loadRegistriesConf } from './registries-conf.js';
import type { RegistryHostConfig } from './registry-client.js';

/** The registry files of the containers tools and of containerd that a node may already have. */
export interface RegistryConfigFiles {
  /** containers-registries.conf(5) v2 (CRI-O, podman, skopeo). */
  registriesConf?: string;
  /** The containers tools' certificate directory (`/etc/containers/certs.d`): `<host>/*.crt`, `client.cert`/`client.key`. */
  certsDir?: string;
  /** containerd's registry `config_path` (`/etc/containerd/certs.d`): `<host>/hosts.toml`. */
  hostsDir?: string;
}

/** Lays `over` on `base` host by host; within a host, what `over` sets wins (TLS settings field by field). */
export function mergeRegistryHosts(base: RegistryHosts, over: RegistryHosts): RegistryHosts {
  const out: RegistryHosts = { ...base };
  for (const [host, config] of Object.entries(over)) {
    const under: RegistryHostConfig | undefined = out[host];
    const tls = under?.tls === undefined || config.tls === undefined ? (config.tls ?? under?.tls) : { ...under.tls, ...config.tls };
    out[host] = { ...under, ...config, ...(tls === undefined ? {} : { tls }) };
  }
  return out;
}

/**
 * Reads the registry files given, lowest precedence first: registries.conf with the certificates
 * of `certsDir`, then containerd's hosts directory. Every file is checked; the first bad one
 * throws INVALID_ARGUMENT naming it and what is wrong.
 */
export async function loadRegistryConfigFiles(files: RegistryConfigFiles): Promise<RegistryHosts> {
  let hosts: RegistryHosts = {};
  if (files.registriesConf !== undefined) hosts = (await loadRegistriesConf(files.registriesConf)).hosts;
  if (files.certsDir !== undefined) {
    const certs = Object.fromEntries(Object.entries(await loadCertsDir(files.certsDir)).map(([host, tls]) => [host, { tls }]));
    hosts = mergeRegistryHosts(hosts, certs);
  }
  if (files.hostsDir !== undefined) hosts = mergeRegistryHosts(hosts, await loadHostsDir(files.hostsDir));
  return hosts;
}
