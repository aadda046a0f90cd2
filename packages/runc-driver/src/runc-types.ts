import type { Process, Resources } from '@shimkit/oci-spec';

/** Lifecycle status of a container as reported by `runc state`. */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** `runc state` / `runc list` entry. */
export interface ContainerState {
  id: string;
  /** Host pid of the container's init process (0 once stopped for some runtimes). */
  pid: number;
  status: ContainerStatus;
  bundle: string;
  /** Absolute rootfs path (runc reports it; crun's `list` does not). */
  rootfs?: string;
  created: Date;
  ociVersion?: string;
  owner?: string;
  annotations?: Record<string, string>;
}

/**
 * A runtime-spec `process` for `exec` (from @shimkit/oci-spec); `user` may be left out
 * (the runtime then uses uid 0, gid 0).
 */
export type OciProcess = Omit<Process, 'user'> & { user?: Process['user'] };

/** Runtime-spec `linux.resources` (from @shimkit/oci-spec), as `runc update --resources` takes it. */
export type OciLinuxResources = Resources;

/** Container statistics (`runc events --stats`), the fields runc's `types.Stats` reports. */
export interface ContainerStats {
  cpu?: {
    usage?: { total?: number; percpu?: number[]; kernel?: number; user?: number };
    throttling?: { periods?: number; throttledPeriods?: number; throttledTime?: number };
  };
  memory?: {
    cache?: number;
    usage?: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    kernelTCP?: MemoryEntry;
    raw?: Record<string, number>;
  };
  pids?: { current?: number; limit?: number };
  blkio?: Record<string, unknown>;
  hugetlb?: Record<string, { usage?: number; max?: number; failcnt?: number }>;
  network_interfaces?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

/** A memory counter in {@link ContainerStats}. */
export interface MemoryEntry {
  limit?: number;
  usage?: number;
  max?: number;
  failcnt?: number;
}

/** One event from `runc events`. */
export type RuntimeEvent =
  | { type: 'stats'; id: string; data: ContainerStats }
  | { type: 'oom'; id: string }
  | { type: string; id: string; data?: unknown };

/** `runc --version`, parsed. */
export interface RuntimeVersion {
  /** Runtime name from the first line ("runc", "crun"). */
  name: string;
  version: string;
  commit?: string;
  /** Highest runtime-spec version supported. */
  spec?: string;
  /** The full output. */
  raw: string;
}

/** `runc features` output (runtime-spec features document). */
export interface RuntimeFeatures {
  ociVersionMin?: string;
  ociVersionMax?: string;
  hooks?: string[];
  mountOptions?: string[];
  linux?: Record<string, unknown>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}
