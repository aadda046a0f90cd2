import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistriesDirConfig } from '@shimkit/image-store';
import { loadRegistriesDir } from '@shimkit/image-store';

/** containers-registries.d(5)'s default: the user's directory if it exists, else the system's. */
export function defaultRegistriesDir(): string {
  const user = join(homedir(), '.config', 'containers', 'registries.d');
  return existsSync(user) ? user : '/etc/containers/registries.d';
}

/** The registries.d configuration of `--registries.d`, else of the default directory (empty when missing). */
export async function registriesConfig(flag: string | undefined): Promise<RegistriesDirConfig> {
  return loadRegistriesDir(flag ?? defaultRegistriesDir());
}
