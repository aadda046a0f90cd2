import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryHosts } from './hosts-dir.js';
import { loadRegistryConfigFiles } from './registry-config-files.js';

/** Where the environment and files are looked up (the process's own by default). */
export interface ContainersDefaultsOptions {
  env?: NodeJS.ProcessEnv;
  /** Prefix of the system paths (`/etc/containers/...`), for tests. Default `/`. */
  systemRoot?: string;
}

function firstExisting(paths: readonly (string | undefined)[]): string | undefined {
  return paths.find((p): p is string => p !== undefined && existsSync(p));
}

/**
 * The registries.conf the containers tools read: `$CONTAINERS_REGISTRIES_CONF` (used as given,
 * existing or not), else `$HOME/.config/containers/registries.conf` for a non-root user, else
 * `/etc/containers/registries.conf`, when there.
 */
export function defaultRegistriesConf(options: ContainersDefaultsOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  if (env.CONTAINERS_REGISTRIES_CONF !== undefined && env.CONTAINERS_REGISTRIES_CONF !== '') return env.CONTAINERS_REGISTRIES_CONF;
  const home = env.HOME && process.getuid?.() !== 0 ? join(env.HOME, '.config/containers/registries.conf') : undefined;
  return firstExisting([home, join(options.systemRoot ?? '/', 'etc/containers/registries.conf')]);
}

/** The containers tools' certificate directory: `/etc/containers/certs.d` when there. */
export function defaultContainersCertsDir(options: ContainersDefaultsOptions = {}): string | undefined {
  return firstExisting([join(options.systemRoot ?? '/', 'etc/containers/certs.d')]);
}

/**
 * The signature policy the containers tools use when none is named: `$HOME/.config/containers/policy.json`,
 * else `/etc/containers/policy.json`, when there.
 */
export function defaultSignaturePolicy(options: ContainersDefaultsOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  return firstExisting([env.HOME ? join(env.HOME, '.config/containers/policy.json') : undefined, join(options.systemRoot ?? '/', 'etc/containers/policy.json')]);
}

/**
 * The registry hosts the containers tools (podman, skopeo) would use: `registriesConf` or the
 * default registries.conf, with the default certs.d, where present.
 */
export async function loadContainersRegistryHosts(options: ContainersDefaultsOptions & { registriesConf?: string } = {}): Promise<RegistryHosts> {
  const registriesConf = options.registriesConf ?? defaultRegistriesConf(options);
  const certsDir = defaultContainersCertsDir(options);
  return loadRegistryConfigFiles({ ...(registriesConf === undefined ? {} : { registriesConf }), ...(certsDir === undefined ? {} : { certsDir }) });
}
