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
  | 'container-stdin'
  | 'exec-sync'
  | 'exec-sync-timeout'
  | 'container-logs'
  | 'container-stats'
  | 'container-events'
  | 'streaming-urls'
  | 'unknown-ids';

/**
 * The commands the cases run in containers of `image`. Each default is a busybox command line; a
 * runtime handler whose images have no shell (WebAssembly modules ...) gives its own.
 */
export interface CriWorkloads {
  /** Runs until stopped. */
  sleep: string[];
  /** Exits with `code` at once. */
  exit(code: number): string[];
  /** Writes `first out` and a newline to stdout, `an err` and a newline to stderr, then `unterminated` (no newline) to stdout; exits 0. */
  logs: string[];
  /** Keeps a CPU busy until stopped (asked for instead of an exec when the handler cannot exec). */
  spin: string[];
  /** Allocates memory past `memoryLimitBytes`, the limit it is run with. */
  oom: { command: string[]; memoryLimitBytes: number };
  /**
   * Exits with `code` when it gets SIGTERM; null when the handler's containers cannot handle
   * signals (a stop then ends them by SIGTERM itself: 143).
   */
  trapTerm: ((code: number) => string[]) | null;
  /** Ignores SIGTERM, so a stop's timeout has to SIGKILL it; null as for {@link trapTerm}. */
  ignoreTerm: string[] | null;
}

/**
 * What the containers of the run's runtime handler can do (each default true). The CRI's Status
 * reports no such features, so the run states them; a case then expects the refusal: ExecSync and
 * Exec answer Unimplemented naming the handler, PortForward too, and CreateContainer refuses
 * `stdin` with InvalidArgument naming the handler (Attach is then checked without stdin only).
 */
export interface CriHandlerAbilities {
  exec?: boolean;
  portForward?: boolean;
  stdin?: boolean;
}

/** Options of {@link runCriConformance}. */
export interface CriConformanceOptions {
  /** Names the run in the suite's title (default: the endpoint when it is a string). */
  name?: string;
  /** The runtime's CRI socket, `unix:///path` (or a path). Read when the suite starts, so a `beforeAll` may set it. */
  endpoint: string | (() => string);
  /**
   * An image the runtime can pull with busybox's `sh`, `echo`, `sleep`, `head` and `tr` on its PATH
   * (e.g. from a local registry), or whatever runs the given `workloads`. The image cases remove it
   * once and pull it again.
   */
  image: string | (() => string);
  /** Another reference in the same registry that does not exist (default: `image` with a made-up tag). */
  missingImage?: string | (() => string);
  /** The runtime handler pods ask for (default '': the runtime's default). */
  runtimeHandler?: string;
  /** Added to every pod config (a cgroup parent, DNS ...); read per pod. */
  pod?: DeepPartial<PodSandboxConfig> | (() => DeepPartial<PodSandboxConfig>);
  /** Commands for images without busybox (default: busybox command lines). */
  workloads?: Partial<CriWorkloads>;
  /** What the handler's containers cannot do (default: everything). */
  abilities?: CriHandlerAbilities;
  /** Added to every container config. */
  container?: DeepPartial<ContainerConfig>;
  /** Pods use the host's network (no pod IP expected): for runtimes set up without CNI. */
  hostNetwork?: boolean;
  /** Cases to skip for this run, by name, with the reason (added to the known deviations of the runtime). */
  skip?: Partial<Record<CriCase, string>>;
  /** Bound on each wait for a state change (default 20 s). */
  timeoutMs?: number;
}
