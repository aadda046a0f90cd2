import { copyFile, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import type { DNSConfig } from '@shimkit/cri-types';
import type { Mount } from '@shimkit/oci-spec';

/** kubelet's and containerd's default /dev/shm size: 64 MiB. */
export const DEFAULT_SHM_SIZE_BYTES = 64 * 1024 * 1024;

const LOCAL_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff00::1\tip6-allnodes',
  'ff00::2\tip6-allrouters',
];

/** resolv.conf from the pod's DNS config (`search`, then `nameserver` lines, then `options`); undefined when it says nothing. */
export function renderResolvConf(dns: DNSConfig | undefined): string | undefined {
  const servers = dns?.servers ?? [];
  const searches = dns?.searches ?? [];
  const options = dns?.options ?? [];
  if (servers.length + searches.length + options.length === 0) return undefined;
  const lines: string[] = [];
  if (searches.length > 0) lines.push(`search ${searches.join(' ')}`);
  for (const server of servers) lines.push(`nameserver ${server}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** /etc/hosts of a pod on its own network: the localhost entries (kubelet mounts its own managed file over it). */
export function renderHosts(): string {
  return `${LOCAL_HOSTS.join('\n')}\n`;
}

/** What {@link writePodFiles} made, as host paths. */
export interface PodFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/**
 * Writes the pod's /etc/hostname, /etc/hosts and /etc/resolv.conf into `dir`. A host-network
 * pod gets the node's hostname and hosts file; a pod without DNS config gets the node's
 * resolv.conf (as containerd does).
 */
export async function writePodFiles(dir: string, options: { hostname: string; hostNetwork: boolean; dns: DNSConfig | undefined }): Promise<PodFiles> {
  const files: PodFiles = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  const name = options.hostNetwork || !options.hostname ? hostHostname() : options.hostname;
  await writeFile(files.hostname, `${name}\n`, { mode: 0o644 });
  if (options.hostNetwork) await copyFile('/etc/hosts', files.hosts).catch(() => writeFile(files.hosts, renderHosts(), { mode: 0o644 }));
  else await writeFile(files.hosts, renderHosts(), { mode: 0o644 });
  const resolv = renderResolvConf(options.dns);
  if (resolv === undefined) await copyFile('/etc/resolv.conf', files.resolvConf).catch(() => writeFile(files.resolvConf, '', { mode: 0o644 }));
  else await writeFile(files.resolvConf, resolv, { mode: 0o644 });
  return files;
}

/** The bind mounts every container of the pod gets: the three files and the pod's /dev/shm. */
export function podMounts(files: PodFiles, shmSource: string): Mount[] {
  const file = (destination: string, source: string): Mount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', 'rw'] });
  return [
    file('/etc/hostname', files.hostname),
    file('/etc/hosts', files.hosts),
    file('/etc/resolv.conf', files.resolvConf),
    { destination: '/dev/shm', type: 'bind', source: shmSource, options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'] },
  ];
}
