import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';

/** Credentials for one registry. */
export type RegistryCredentials =
  | { username: string; password: string }
  /** An OAuth2 refresh token (docker config.json `identitytoken`), exchanged at the token realm. */
  | { identityToken: string }
  /** A bearer token sent as is (docker config.json `registrytoken`). */
  | { registryToken: string };

/** Gives the credentials for a registry host (`docker.io`, `127.0.0.1:5000`), if any. */
export type CredentialsProvider = (host: string) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;

/** The host a docker config.json `auths` key names: `https://index.docker.io/v1/` is docker.io. */
export function normalizeAuthKey(key: string): string {
  let host = key.replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0] ?? host;
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') return 'docker.io';
  return host;
}

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Parses the `auths` of a docker config.json into a host -> credentials map. */
export function parseDockerConfig(text: string, source = 'docker config'): Map<string, RegistryCredentials> {
  let doc: { auths?: Record<string, DockerAuthEntry> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${source} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const out = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
    const host = normalizeAuthKey(key);
    if (entry.identitytoken) {
      out.set(host, { identityToken: entry.identitytoken });
    } else if (entry.registrytoken) {
      out.set(host, { registryToken: entry.registrytoken });
    } else if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new ImageStoreError('INVALID_ARGUMENT', `${source}: auth for ${key} is not base64 of "user:password"`);
      out.set(host, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
    } else if (entry.username !== undefined && entry.password !== undefined) {
      out.set(host, { username: entry.username, password: entry.password });
    }
  }
  return out;
}

/**
 * Asks a docker credential helper (`docker-credential-<name> get`, the server
 * on stdin) for a host's credentials; undefined when it has none.
 */
export async function runCredentialHelper(name: string, server: string, options: { timeoutMs?: number } = {}): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new ImageStoreError('INVALID_ARGUMENT', `invalid credential helper name ${JSON.stringify(name)}`);
  // a one-off program off the hot path (a pull's first token): execa's defaults serve it
  // loaded here: a store that never meets a helper need not load execa (CLI start-up time)
  const { execa } = await import('execa');
  const run = await execa(`docker-credential-${name}`, ['get'], { input: server, timeout: options.timeoutMs ?? 30_000, reject: false, stripFinalNewline: true });
  if (run.failed) {
    // Helpers report a host they do not know on stdout or stderr and exit 1.
    if (/credentials not found/i.test(`${run.stdout}${run.stderr}`)) return undefined;
    throw new ImageStoreError('REGISTRY_UNAUTHORIZED', `credential helper ${name} failed for ${server}: ${run.stderr.trim() || run.shortMessage}`, { cause: run });
  }
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(run.stdout) as typeof doc;
  } catch (e) {
    throw new ImageStoreError('REGISTRY_PROTOCOL', `credential helper ${name} printed invalid JSON for ${server}`, { cause: e });
  }
  if (!doc.Secret) return undefined;
  // The helper protocol marks identity tokens with this user name.
  return doc.Username === '<token>' ? { identityToken: doc.Secret } : { username: doc.Username ?? '', password: doc.Secret };
}

/**
 * Loads credentials from a docker config.json: the given path, else
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. A missing file
 * gives no credentials. `auths` entries come first; then `credHelpers` (per
 * host) and `credsStore` (default) helpers are asked.
 */
export async function loadDockerConfig(options: { path?: string; signal?: AbortSignal } = {}): Promise<CredentialsProvider> {
  const path = options.path ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal: options.signal });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && options.path === undefined) return () => undefined;
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read docker config ${path}: ${(e as Error).message}`, { cause: e });
  }
  const map = parseDockerConfig(text, path);
  const { credHelpers = {}, credsStore } = JSON.parse(text) as { credHelpers?: Record<string, string>; credsStore?: string };
  const helpers = new Map(Object.entries(credHelpers).map(([key, helper]) => [normalizeAuthKey(key), helper]));
  return async (host) => {
    const found = map.get(host);
    if (found !== undefined) return found;
    const helper = helpers.get(host) ?? credsStore;
    if (helper === undefined) return undefined;
    return runCredentialHelper(helper, host === 'docker.io' ? 'https://index.docker.io/v1/' : host);
  };
}
