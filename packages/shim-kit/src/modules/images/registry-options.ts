import { loadDockerConfig, loadRegistryConfigFiles, mergeRegistryHosts, type CredentialsProvider, type RegistryClientOptions } from '@shimkit/image-store';
import type { ImageStoreBackendOptions } from './image-store-backend-options.js';

/** The options that make up the registry configuration, the part SIGHUP reloads. */
export type RegistrySettings = Pick<ImageStoreBackendOptions, 'registry' | 'registriesConf' | 'certsDir' | 'dockerConfig'>;

/**
 * The registry client options of these settings: the registry files read (registries.conf with
 * certs.d, then containerd's host directory), the given `hosts` laid over them, and the docker
 * config.json's credentials for hosts that have none. A bad file throws naming it.
 */
export async function loadRegistryOptions(settings: RegistrySettings): Promise<RegistryClientOptions> {
  const { configPath, ...registry } = settings.registry ?? {};
  const fromFiles = await loadRegistryConfigFiles({
    ...(typeof settings.registriesConf === 'string' ? { registriesConf: settings.registriesConf } : {}),
    ...(typeof settings.certsDir === 'string' ? { certsDir: settings.certsDir } : {}),
    ...(configPath === undefined ? {} : { hostsDir: configPath }),
  });
  const options: RegistryClientOptions = { ...registry, hosts: mergeRegistryHosts(fromFiles, registry.hosts ?? {}) };
  const { dockerConfig } = settings;
  if (dockerConfig !== undefined) {
    const fromFile = await loadDockerConfig(dockerConfig === true ? {} : { path: dockerConfig });
    const given = registry.credentials;
    const credentials: CredentialsProvider = (host) => given?.(host) ?? fromFile(host);
    options.credentials = credentials;
  }
  return options;
}
