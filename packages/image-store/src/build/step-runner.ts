import type { ImageConfig } from '@shimkit/oci-spec';

/** One RUN step: a command in the rootfs of the image built so far. */
export interface RunStepRequest {
  /** The mounted rootfs (an overlay on the previous step); what the command writes becomes the step's layer. */
  rootfs: string;
  argv: string[];
  /** `KEY=value`: the image's environment and the build args in scope. */
  env: string[];
  /** Absolute working directory (made when missing). */
  cwd: string;
  /** The image `User` syntax (`name`, `uid:gid`, ...), resolved in `rootfs`; '' is root. */
  user: string;
  /** `none`: a network namespace of its own with only loopback; `host`: the host's network. */
  network: 'none' | 'host';
  /** The config of the image so far (for anything else a runner wants from it). */
  config: ImageConfig;
  /** Output of the command (stdout and stderr, interleaved) as it comes. */
  onOutput?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

/**
 * Runs the RUN steps of a build. It resolves when the command exited 0, and rejects with an
 * ImageStoreError `BUILD_STEP_FAILED` naming the exit code (the message ending with the tail of
 * the output) otherwise; it leaves nothing running and nothing mounted in `rootfs`.
 */
export interface StepRunner {
  runStep(request: RunStepRequest): Promise<void>;
}
