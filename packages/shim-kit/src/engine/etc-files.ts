import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkMode } from './engine-container.js';

/**
 * Writes the container's /etc/hostname, /etc/hosts and (off the `none` network) /etc/resolv.conf
 * into its bundle dir, to be bind-mounted, as podman does: the host's resolv.conf, and hosts
 * naming the container's own address.
 */
export async function writeEtcFiles(bundle: string, options: { hostname: string; network: NetworkMode; ips: readonly string[] }): Promise<{ hosts: string; hostname: string; resolvConf?: string }> {
  const hostname = join(bundle, 'hostname');
  const hosts = join(bundle, 'hosts');
  const lines = ['127.0.0.1\tlocalhost localhost.localdomain', '::1\tlocalhost localhost.localdomain'];
  if (options.network !== 'host') lines.push(`${options.ips[0] ?? '127.0.1.1'}\t${options.hostname}`);
  await Promise.all([writeFile(hostname, `${options.hostname}\n`), writeFile(hosts, `${lines.join('\n')}\n`)]);
  if (options.network === 'none') return { hosts, hostname };
  const resolvConf = join(bundle, 'resolv.conf');
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  // a loopback resolver of the host cannot be reached from the container's own network
  const usable = options.network === 'host' ? host : host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l)).join('\n');
  await writeFile(resolvConf, usable);
  return { hosts, hostname, resolvConf };
}
