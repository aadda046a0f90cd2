import { defaultContainersCertsDir, defaultRegistriesConf, type ContainersDefaultsOptions } from '@shimkit/image-store';
import { ShimError } from '../errors.js';
import type { Logger } from '../interfaces/logger.js';
import type { ImageStoreBackend } from '../modules/images/image-store-backend.js';
import type { ImageStoreModuleOptions } from '../modules/images/image-store-module.js';
import { loadRegistryOptions } from '../modules/images/registry-options.js';
import { loadShimConfigFile } from './config-file.js';

/**
 * The images options of `shimkit serve`: the config file's, with the registries.conf and certs.d
 * the containers tools read when the file names none (`false` there turns them off).
 */
export function withContainersDefaults(images: ImageStoreModuleOptions = {}, defaults: ContainersDefaultsOptions = {}): ImageStoreModuleOptions {
  const registriesConf = images.registriesConf ?? defaultRegistriesConf(defaults);
  const certsDir = images.certsDir ?? defaultContainersCertsDir(defaults);
  return { ...images, ...(registriesConf === undefined ? {} : { registriesConf }), ...(certsDir === undefined ? {} : { certsDir }) };
}

/** Reads every registry file the options name, so that a bad one stops serve before it starts. */
export async function checkRegistryFiles(images: ImageStoreModuleOptions): Promise<void> {
  try {
    await loadRegistryOptions(images);
  } catch (e) {
    throw new ShimError('InvalidArgument', `registry configuration: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * On every SIGHUP, reads the config file (when serve has one) and the registry files again and
 * swaps the image backend's registry configuration; pulls in flight finish with the old one.
 * A bad file is logged and the configuration in use stays. Returns the function that stops it.
 */
export function reloadRegistryOnHangup(backend: ImageStoreBackend, options: { configFile?: string; logger: Logger; initial: ImageStoreModuleOptions }): () => void {
  const { configFile, logger } = options;
  let reloads = Promise.resolve();
  const reload = async (): Promise<void> => {
    try {
      const images = configFile === undefined ? options.initial : withContainersDefaults((await loadShimConfigFile(configFile)).images);
      await backend.reloadRegistry(images);
    } catch (e) {
      logger.error('registry configuration not reloaded; the one in use stays', { error: (e as Error).message });
    }
  };
  const onHangup = (): void => {
    logger.info('SIGHUP: reloading the registry configuration', configFile === undefined ? {} : { config: configFile });
    reloads = reloads.then(reload);
  };
  process.on('SIGHUP', onHangup);
  return () => void process.off('SIGHUP', onHangup);
}
