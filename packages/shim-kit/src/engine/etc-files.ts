import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkMode } from './engine-container.js';

/**
 * Writes the container's /etc/hostname, /etc/hosts and (off the `none` network) /etc/resolv.conf
 * into its bundle dir, to be bind-mounted, as podman does: the host's resolv.conf, and hosts
 * naming the container's own address. Sync calls: small files, see ContainerRecords.
 */
export async function writeEtcFiles(bundle: string, options: { hostname: string; network: NetworkMode; ips: readonly string[] }): Promise<{ hosts: string; hostname: string; resolvConf?: string }> {
  const hostname = join(bundle, 'hostname');
  const hosts = join(bundle, 'hosts');
  const lines = ['127.0.0.1\tlocalhost localhost.localdomain', '::1\tlocalhost localhost.localdomain'];
  if (options.network !== 'host') lines.push(`${options.ips[0] ?? '127.0.1.1'}\t${options.hostname}`);
  writeFileSync(hostname, `${options.hostname}\n`);
  writeFileSync(hosts, `${lines.join('\n')}\n`);
  if (options.network === 'none') return { hosts, hostname };
  const resolvConf = join(bundle, 'resolv.conf');
  let host = '';
  try {
    host = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // none on the host: the container gets an empty one, as podman gives it
  }
  // a loopback resolver of the host cannot be reached from the container's own network
  const usable = options.network === 'host' ? host : host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l)).join('\n');
  writeFileSync(resolvConf, usable);
  return { hosts, hostname, resolvConf };
}
