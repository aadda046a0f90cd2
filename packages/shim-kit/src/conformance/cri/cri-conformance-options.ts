import type { ContainerConfig, DeepPartial, PodSandboxConfig } from '@shimkit/cri-types';

/** The cases of {@link runCriConformance}, by the name they are skipped with. */
export type CriCase =
  | 'version'
  | 'status'
  | 'image-pull-status-list'
  | 'image-remove'
  | 'image-pull-missing'
  | 'image-fs-info'
  | 'sandbox-lifecycle'
  | 'sandbox-list-filters'
  | 'sandbox-idempotent'
  | 'sandbox-stop-removed'
  | 'container-lifecycle'
  | 'container-list-filters'
  | 'container-exit-reasons'
  | 'container-oom'
  | 'container-idempotent'
  | 'exec-sync'
  | 'exec-sync-timeout'
  | 'container-logs'
  | 'container-stats'
  | 'container-events'
  | 'streaming-urls'
  | 'unknown-ids';

/** Options of {@link runCriConformance}. */
export interface CriConformanceOptions {
  /** Names the run in the suite's title (default: the endpoint when it is a string). */
  name?: string;
  /** The runtime's CRI socket, `unix:///path` (or a path). Read when the suite starts, so a `beforeAll` may set it. */
  endpoint: string | (() => string);
  /**
   * An image the runtime can pull with busybox's `sh`, `echo`, `sleep`, `head` and `tr` on its PATH
   * (e.g. from a local registry). The image cases remove it once and pull it again.
   */
  image: string | (() => string);
  /** Another reference in the same registry that does not exist (default: `image` with a made-up tag). */
  missingImage?: string | (() => string);
  /** The runtime handler pods ask for (default '': the runtime's default). */
  runtimeHandler?: string;
  /** Added to every pod config (a cgroup parent, DNS ...); read per pod. */
  pod?: DeepPartial<PodSandboxConfig> | (() => DeepPartial<PodSandboxConfig>);
  /** Added to every container config. */
  container?: DeepPartial<ContainerConfig>;
  /** Pods use the host's network (no pod IP expected): for runtimes set up without CNI. */
  hostNetwork?: boolean;
  /** Cases to skip for this run, by name, with the reason (added to the known deviations of the runtime). */
  skip?: Partial<Record<CriCase, string>>;
  /** Bound on each wait for a state change (default 20 s). */
  timeoutMs?: number;
}
