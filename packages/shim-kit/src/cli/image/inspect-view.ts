import type { InspectResult, RemoteImage } from '@shimkit/image-store';
import type { Platform } from '@shimkit/oci-spec';
import { formatPlatform, matchPlatform } from '@shimkit/oci-spec';

/** What `shimkit image inspect` reports (its JSON form). */
export interface InspectView {
  name: string;
  digest: string;
  mediaType: string;
  /** The platforms of an index; absent for a single-platform image. */
  platforms?: string[];
  /** The platform image described below (for an index: the one matching the wanted platform). */
  manifestDigest: string;
  created?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  env: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  workingDir?: string;
  user?: string;
  labels: Record<string, string>;
  layers: Array<{ digest: string; size: number; mediaType: string }>;
  /** Manifest, config and compressed layers of that platform image. */
  size: number;
}

function pick(images: readonly RemoteImage[], want: Platform): RemoteImage | undefined {
  return images.find((i) => i.platform !== undefined && matchPlatform(want, i.platform)) ?? (images.length === 1 ? images[0] : undefined);
}

/** The view of an inspected image for `platform`; undefined when an index has no image for it. */
export function inspectView(result: InspectResult, platform: Platform): InspectView | undefined {
  const image = pick(result.images, platform);
  if (image === undefined) return undefined;
  const c = image.config;
  const cfg = c.config ?? {};
  const view: InspectView = {
    name: result.name,
    digest: result.digest,
    mediaType: result.mediaType,
    manifestDigest: image.manifest.digest,
    env: cfg.Env ?? [],
    entrypoint: cfg.Entrypoint ?? null,
    cmd: cfg.Cmd ?? null,
    labels: cfg.Labels ?? {},
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    size: image.size,
  };
  const isIndex = result.images.length > 1 || result.digest !== image.manifest.digest;
  if (isIndex) view.platforms = result.images.flatMap((i) => (i.platform ? [formatPlatform(i.platform)] : []));
  if (c.created !== undefined) view.created = c.created;
  if (c.architecture !== undefined) view.architecture = c.architecture;
  if (c.os !== undefined) view.os = c.os;
  if (c.variant !== undefined) view.variant = c.variant;
  if (cfg.WorkingDir) view.workingDir = cfg.WorkingDir;
  if (cfg.User) view.user = cfg.User;
  return view;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The readable text form. */
export function inspectText(view: InspectView): string {
  const rows: Array<[string, string]> = [
    ['Name', view.name],
    ['Digest', view.digest],
    ['Media type', view.mediaType],
  ];
  if (view.platforms) rows.push(['Platforms', view.platforms.join(', ')], ['Manifest', view.manifestDigest]);
  if (view.created) rows.push(['Created', view.created]);
  rows.push(['Platform', [view.os, view.architecture, view.variant].filter(Boolean).join('/')]);
  if (view.entrypoint) rows.push(['Entrypoint', JSON.stringify(view.entrypoint)]);
  if (view.cmd) rows.push(['Cmd', JSON.stringify(view.cmd)]);
  if (view.workingDir) rows.push(['Working dir', view.workingDir]);
  if (view.user) rows.push(['User', view.user]);
  view.env.forEach((e, i) => rows.push([i === 0 ? 'Env' : '', e]));
  Object.entries(view.labels).forEach(([k, v], i) => rows.push([i === 0 ? 'Labels' : '', `${k}=${v}`]));
  rows.push(['Size', `${bytes(view.size)} (${view.size} bytes)`]);
  const lines = rows.map(([k, v]) => `${k === '' ? '' : `${k}:`.padEnd(13)}${k === '' ? ' '.repeat(13) : ''}${v}`);
  lines.push(`Layers:`);
  for (const l of view.layers) lines.push(`  ${l.digest}  ${bytes(l.size).padStart(10)}  ${l.mediaType}`);
  return `${lines.join('\n')}\n`;
}
