import { normalizeAuthKey, type RegistryCredentials } from '@shimkit/image-store';
import { ShimError } from '../../errors.js';
import type { RegistryAuth } from '../../interfaces/image-backend.js';

/**
 * The credentials a CRI AuthConfig gives for registry `host`, as containerd reads it: an
 * AuthConfig naming another server (`serverAddress`) gives none; then username/password,
 * identity token, base64 `auth`, registry token, in that order. Undefined when it carries
 * nothing usable (the configured credentials apply then).
 */
export function credentialsFromAuth(auth: RegistryAuth | undefined, host: string): RegistryCredentials | undefined {
  if (auth === undefined) return undefined;
  if (auth.serverAddress !== undefined && auth.serverAddress !== '' && normalizeAuthKey(auth.serverAddress) !== host) return undefined;
  if (auth.username !== undefined && auth.username !== '') return { username: auth.username, password: auth.password ?? '' };
  if (auth.identityToken !== undefined && auth.identityToken !== '') return { identityToken: auth.identityToken };
  if (auth.auth !== undefined && auth.auth !== '') return decodeBasicAuth(auth.auth);
  if (auth.registryToken !== undefined && auth.registryToken !== '') return { registryToken: auth.registryToken };
  return undefined;
}

function decodeBasicAuth(encoded: string): RegistryCredentials {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded.trim())) {
    throw new ShimError('InvalidArgument', 'AuthConfig.auth is not base64');
  }
  const text = Buffer.from(encoded.trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ShimError('InvalidArgument', 'AuthConfig.auth is not base64 of "username:password"');
  // Some clients pad the decoded password with NUL bytes (containerd trims them too).
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, '') };
}
