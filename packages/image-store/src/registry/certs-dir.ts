import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';
import type { RegistryTls } from './registry-client.js';

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * The certificates of one registry host in the layout docker, containerd and the containers
 * tools share (`<dir>/<host>/`): every `*.crt` is a CA, and `client.cert` with `client.key`
 * (any `NAME.cert` with its `NAME.key`) is the client certificate. Undefined when the
 * directory is missing or holds none of them.
 */
export async function readHostCerts(hostDir: string): Promise<RegistryTls | undefined> {
  let names: string[];
  try {
    names = (await readdir(hostDir)).sort();
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read certificate directory ${hostDir}: ${(e as Error).message}`, { cause: e });
  }
  const cas = names.filter((n) => n.endsWith('.crt')).map((n) => join(hostDir, n));
  const certs = names.filter((n) => n.endsWith('.cert'));
  if (certs.length > 1) throw new ImageStoreError('INVALID_ARGUMENT', `${hostDir}: more than one client certificate (${certs.join(', ')})`);
  const tls: RegistryTls = {};
  if (cas.length > 0) tls.caFile = cas;
  const cert = certs[0];
  if (cert !== undefined) {
    const key = `${cert.slice(0, -'.cert'.length)}.key`;
    if (!names.includes(key)) throw new ImageStoreError('INVALID_ARGUMENT', `${join(hostDir, cert)}: client certificate without its key ${key}`);
    tls.certFile = join(hostDir, cert);
    tls.keyFile = join(hostDir, key);
  }
  return Object.keys(tls).length === 0 ? undefined : tls;
}

/** {@link readHostCerts} for every host directory under `dir` (`/etc/containers/certs.d`); a missing dir has none. */
export async function loadCertsDir(dir: string): Promise<Record<string, RegistryTls>> {
  let hosts: string[];
  try {
    hosts = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    if (isMissing(e)) return {};
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read certificate directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const out: Record<string, RegistryTls> = {};
  for (const host of hosts.sort()) {
    const tls = await readHostCerts(join(dir, host));
    if (tls !== undefined) out[host] = tls;
  }
  return out;
}
