import type { Digest } from './digest.js';

/** Execution parameters of an image (the `config` object of an image configuration). */
export interface ImageExecConfig {
  /** `user`, `uid`, `user:group`, `uid:gid`, `uid:group` or `user:gid`. */
  User?: string;
  /** Ports to expose, keyed `port/tcp`, `port/udp` or `port`; values are empty objects. */
  ExposedPorts?: Record<string, object>;
  /** Environment as `KEY=value`. */
  Env?: string[];
  /** Command prefix. */
  Entrypoint?: string[];
  /** Default arguments (after Entrypoint). */
  Cmd?: string[];
  /** Paths that should be volumes; values are empty objects. */
  Volumes?: Record<string, object>;
  /** Working directory of the process. */
  WorkingDir?: string;
  /** Arbitrary metadata. */
  Labels?: Record<string, string>;
  /** Signal that stops the container, e.g. `SIGTERM` or `15`. */
  StopSignal?: string;
  /** Docker extension; `true` when Cmd/Entrypoint were set with ARGS_ESCAPED (Windows only). */
  ArgsEscaped?: boolean;
  /** Docker extension: health check. */
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    StartInterval?: number;
    Retries?: number;
  };
  /** Docker extension: whether the image wants a shell wrapper on Windows. */
  Shell?: string[];
  /** Docker extension: ONBUILD triggers. */
  OnBuild?: string[];
}

/** The layers of an image as uncompressed tar digests. */
export interface ImageRootFs {
  /** Always `layers`. */
  type: 'layers';
  /** Digests of each layer's uncompressed tar, base layer first. */
  diff_ids: Digest[];
}

/** One build step of an image. */
export interface ImageHistory {
  /** RFC 3339 time the step ran. */
  created?: string;
  /** Who made the step. */
  author?: string;
  /** Command that made the step. */
  created_by?: string;
  /** Free-form comment. */
  comment?: string;
  /** True when the step made no layer. */
  empty_layer?: boolean;
}

/** An image configuration (OCI image config, compatible with Docker's container config). */
export interface ImageConfig {
  /** RFC 3339 creation time. */
  created?: string;
  /** Author of the image. */
  author?: string;
  /** CPU architecture (GOARCH names). */
  architecture: string;
  /** Operating system (GOOS names). */
  os: string;
  /** Operating system version. */
  'os.version'?: string;
  /** Required OS features. */
  'os.features'?: string[];
  /** CPU variant. */
  variant?: string;
  /** Default execution parameters. */
  config?: ImageExecConfig;
  /** Layer diff IDs. */
  rootfs: ImageRootFs;
  /** Build history, oldest first. */
  history?: ImageHistory[];
}
