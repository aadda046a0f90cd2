import { OciSpecError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import type { ImageIndex } from './image-index.js';
import type { Platform } from './platform.js';

const ARCH_ALIASES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  i386: { architecture: '386' },
  i686: { architecture: '386' },
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  x64: { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  ia32: { architecture: '386' },
};

/**
 * Returns the canonical form of a platform, as containerd normalises it: lowercase OS
 * (`macos` -> `darwin`), Go architecture names (`x86_64` -> `amd64`, `aarch64` -> `arm64`,
 * `armhf` -> `arm/v7`), variants with a `v` prefix, `arm` defaulting to `v7`, `arm64` to `v8`,
 * and `amd64/v1` written without a variant.
 */
export function normalizePlatform(platform: Platform): Platform {
  let os = platform.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  let architecture = platform.architecture.toLowerCase();
  let variant = platform.variant?.toLowerCase() ?? '';
  const alias = ARCH_ALIASES[architecture];
  if (alias !== undefined) {
    architecture = alias.architecture;
    if (alias.variant !== undefined && variant === '') variant = alias.variant;
  }
  if (/^[0-9]+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'arm' && variant === '') variant = 'v7';
  if (architecture === 'arm64' && variant === '') variant = 'v8';
  if (architecture === 'amd64' && variant === 'v1') variant = '';

  const out: Platform = { architecture, os };
  if (variant !== '') out.variant = variant;
  if (platform['os.version'] !== undefined) out['os.version'] = platform['os.version'];
  if (platform['os.features'] !== undefined) out['os.features'] = [...platform['os.features']];
  return out;
}

/** Options for {@link hostPlatform}. */
export interface HostPlatformOptions {
  /** Overrides `process.platform` (Node names: `linux`, `win32`, `darwin`, ...). */
  nodePlatform?: string;
  /** Overrides `process.arch` (Node names: `x64`, `arm64`, `arm`, `ia32`, ...). */
  nodeArch?: string;
  /** ARM version for `arm` (Node's `process.config.variables.arm_version`). */
  armVersion?: string;
}

/**
 * The platform of the running Node.js process, in OCI terms (`linux/amd64`, `linux/arm64/v8`, ...).
 * The amd64 micro-architecture level is not detected: amd64 hosts report no variant (v1).
 */
export function hostPlatform(options: HostPlatformOptions = {}): Platform {
  const nodePlatform = options.nodePlatform ?? process.platform;
  const nodeArch = options.nodeArch ?? process.arch;
  const os = nodePlatform === 'win32' ? 'windows' : nodePlatform;
  const archMap: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm: 'arm',
    arm64: 'arm64',
    mipsel: 'mipsle',
    mips: 'mips',
    ppc64: 'ppc64le',
    ppc: 'ppc',
    s390x: 's390x',
    s390: 's390',
    riscv64: 'riscv64',
    loong64: 'loong64',
  };
  const architecture = archMap[nodeArch] ?? nodeArch;
  let variant: string | undefined;
  if (architecture === 'arm') {
    const vars = (process.config as { variables?: Record<string, unknown> }).variables ?? {};
    const armVersion = options.armVersion ?? String(vars['arm_version'] ?? '7');
    variant = `v${armVersion.replace(/^v/, '')}`;
  }
  return normalizePlatform({ os, architecture, ...(variant === undefined ? {} : { variant }) });
}

/**
 * Parses `os/arch[/variant]` (as in `docker --platform`), e.g. `linux/arm64/v8`, `linux/amd64`.
 * The result is normalised.
 * @throws OciSpecError `INVALID_PLATFORM` for anything else.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new OciSpecError('INVALID_PLATFORM', `invalid platform ${JSON.stringify(text)}: expected os/arch[/variant]`);
  }
  const [os = '', architecture = '', variant] = parts;
  return normalizePlatform({ os, architecture, ...(variant === undefined ? {} : { variant }) });
}

/** Formats a platform as `os/arch[/variant]`. */
export function formatPlatform(platform: Platform): string {
  const p = normalizePlatform(platform);
  return `${p.os}/${p.architecture}${p.variant === undefined ? '' : `/${p.variant}`}`;
}

/**
 * The platforms a host can run, most preferred first: the platform itself, then older variants
 * (`amd64/v3` -> v2, v1), then compatible architectures (`amd64` -> `386`; `arm64` -> `arm/v8`..`v5`;
 * `arm/v7` -> v6, v5).
 */
export function compatiblePlatforms(platform: Platform): Platform[] {
  const p = normalizePlatform(platform);
  const base = { os: p.os } as const;
  const out: Platform[] = [p];
  const level = variantLevel(p.variant);
  if (p.architecture === 'amd64') {
    for (let v = (level ?? 1) - 1; v >= 1; v--) out.push({ ...base, architecture: 'amd64', ...(v === 1 ? {} : { variant: `v${v}` }) });
    out.push({ ...base, architecture: '386' });
  } else if (p.architecture === 'arm') {
    for (let v = (level ?? 7) - 1; v >= 5; v--) out.push({ ...base, architecture: 'arm', variant: `v${v}` });
  } else if (p.architecture === 'arm64') {
    for (let v = Math.min(level ?? 8, 8); v >= 5; v--) out.push({ ...base, architecture: 'arm', variant: `v${v}` });
  }
  return out;
}

/**
 * How well `candidate` suits a host of platform `want`: 0 is an exact match, higher numbers are
 * less preferred compatible platforms, `undefined` means the candidate cannot run there.
 * OS versions must agree (for Windows: on major.minor.build) when both are given, and every
 * `os.features` entry of the candidate must be offered by `want`.
 */
export function platformRank(want: Platform, candidate: Platform): number | undefined {
  const c = normalizePlatform(candidate);
  const w = normalizePlatform(want);
  if (!osVersionCompatible(w, c)) return undefined;
  const offered = new Set(w['os.features'] ?? []);
  if ((c['os.features'] ?? []).some((f) => !offered.has(f))) return undefined;
  const rank = compatiblePlatforms(w).findIndex(
    (p) => p.os === c.os && p.architecture === c.architecture && (p.variant ?? '') === (c.variant ?? ''),
  );
  return rank === -1 ? undefined : rank;
}

/** True when an image built for `candidate` can run on a host of platform `want`. */
export function matchPlatform(want: Platform, candidate: Platform): boolean {
  return platformRank(want, candidate) !== undefined;
}

/**
 * Picks the manifest of an index for a platform: the most preferred compatible platform wins
 * (see {@link compatiblePlatforms}); among equals, the first in the index. Entries without a
 * platform are skipped.
 * @throws OciSpecError `NO_MATCHING_MANIFEST` listing the platforms the index offers.
 */
export function selectManifest(index: Pick<ImageIndex, 'manifests'>, platform: Platform): Descriptor {
  const found = findManifest(index, platform);
  if (found === undefined) {
    const offered = index.manifests.flatMap((m) => (m.platform === undefined ? [] : [formatPlatform(m.platform)]));
    throw new OciSpecError(
      'NO_MATCHING_MANIFEST',
      `no manifest for platform ${formatPlatform(platform)} in index (offers: ${offered.length === 0 ? 'none' : offered.join(', ')})`,
    );
  }
  return found;
}

/** Like {@link selectManifest} but returns `undefined` when nothing matches. */
export function findManifest(index: Pick<ImageIndex, 'manifests'>, platform: Platform): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const descriptor of index.manifests) {
    if (descriptor.platform === undefined) continue;
    const rank = platformRank(platform, descriptor.platform);
    if (rank !== undefined && rank < bestRank) {
      best = descriptor;
      bestRank = rank;
    }
  }
  return best;
}

function variantLevel(variant: string | undefined): number | undefined {
  if (variant === undefined) return undefined;
  const m = /^v([0-9]+)$/.exec(variant);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function osVersionCompatible(want: Platform, candidate: Platform): boolean {
  const w = want['os.version'];
  const c = candidate['os.version'];
  if (w === undefined || c === undefined) return true;
  if (want.os === 'windows') return w.split('.').slice(0, 3).join('.') === c.split('.').slice(0, 3).join('.');
  return w === c;
}
