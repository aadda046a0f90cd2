import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import type { Mount, RuntimeSpec } from '@shimkit/oci-spec';
import { readMountinfo } from '../../host/mountinfo.js';

/** An overlay's directories, from its mount options. */
interface OverlayDirs {
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
}

/** The directories of the overlay mounted at `path` (the topmost mount there), or undefined when that is no overlay. */
async function overlayAt(path: string): Promise<OverlayDirs | undefined> {
  const mount = (await readMountinfo()).reverse().find((m) => m.mountPoint === path);
  if (mount?.fsType !== 'overlay') return undefined;
  const options = new Map(mount.superOptions.split(',').map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));
  const [lower, upperDir, workDir] = [options.get('lowerdir'), options.get('upperdir'), options.get('workdir')];
  if (lower === undefined || upperDir === undefined || workDir === undefined) return undefined;
  return { lowerDirs: lower.split(':'), upperDir, workDir };
}

/** The user namespace `spec` joins by path, and the host ids that are its root; undefined for none. */
function joinedUserNamespace(spec: RuntimeSpec): { path: string; root: { uid: number; gid: number } } | undefined {
  const path = spec.linux?.namespaces?.find((n) => n.type === 'user')?.path;
  if (path === undefined) return undefined;
  return { path, root: { uid: spec.linux?.uidMappings?.[0]?.hostID ?? 0, gid: spec.linux?.gidMappings?.[0]?.hostID ?? 0 } };
}

/**
 * The root filesystem a container of `spec` sees: `rootfs` itself, or, when the spec joins its
 * pod's user namespace, a mount at `<dir>/rootfs` on which what the image owns as root is root's
 * inside. A plain directory is mounted idmapped as it is. The kernel idmaps no
 * overlay mount, and an overlay writes its upper layer with its mounter's ids (which the
 * namespace does not map), so an overlay is rebuilt: its lower layers idmapped under
 * `<dir>/idmap`, and a new upper layer beside the old one (on the store's disk) owned by the
 * namespace's root. Everything is mounted under `dir`, to be unmounted with it.
 */
export async function idmappedRootfs(dir: string, rootfs: string, spec: RuntimeSpec, helper: HostHelper): Promise<string> {
  const joined = joinedUserNamespace(spec);
  if (joined === undefined) return rootfs;
  const { path: userns, root } = joined;
  const target = join(dir, 'rootfs');
  mkdirSync(target, { recursive: true });
  // the runtime reaches the root filesystem as the namespace's root (another host uid): the
  // private bundle lets it pass through, and lists nothing
  chmodSync(dir, 0o711);
  const overlay = await overlayAt(rootfs);
  if (overlay === undefined) {
    await helper.idmapMount(rootfs, target, userns, { recursive: true });
    return target;
  }
  const lowerDirs = overlay.lowerDirs.map((_, i) => {
    const path = join(dir, 'idmap', String(i));
    mkdirSync(path, { recursive: true });
    return path;
  });
  await Promise.all(overlay.lowerDirs.map((lower, i) => helper.idmapMount(lower, lowerDirs[i] as string, userns)));
  const [upperDir, workDir] = [join(dirname(overlay.upperDir), 'userns-upper'), join(dirname(overlay.upperDir), 'userns-work')];
  for (const path of [upperDir, workDir]) {
    mkdirSync(path, { recursive: true });
    chownSync(path, root.uid, root.gid);
  }
  await helper.mount('overlay', target, 'overlay', 0, `lowerdir=${lowerDirs.join(':')},upperdir=${upperDir},workdir=${workDir}`);
  return target;
}

const isBind = (m: Mount): boolean => m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');

/**
 * `spec` as the runtime gets it: when it joins its pod's user namespace, every bind mount's
 * source is replaced by an idmapped mount of it under `<dir>/volumes`, so that host files owned by root are root's
 * inside (volumes, the pod's /etc/hosts and /dev/shm). A source whose file system cannot be
 * idmapped fails the container, naming it.
 */
export async function idmappedVolumes(dir: string, spec: RuntimeSpec, helper: HostHelper): Promise<RuntimeSpec> {
  const userns = joinedUserNamespace(spec)?.path;
  if (userns === undefined) return spec;
  const mounts = await Promise.all((spec.mounts ?? []).map(async (m, i) => {
    if (!isBind(m) || m.source === undefined) return m;
    const target = join(dir, 'volumes', String(i));
    mkdirSync(dirname(target), { recursive: true });
    if (statSync(m.source).isDirectory()) mkdirSync(target);
    else writeFileSync(target, '');
    await helper.idmapMount(m.source, target, userns, { recursive: (m.options ?? []).includes('rbind') });
    return { ...m, source: target };
  }));
  return { ...spec, mounts };
}
