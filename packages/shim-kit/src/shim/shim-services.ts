import { inject, injectable } from '../di.js';
import type { Clock } from '../interfaces/clock.js';
import type { ContainerStore } from '../interfaces/container-record.js';
import type { EventBus } from '../interfaces/event-bus.js';
import type { ImageBackend } from '../interfaces/image-backend.js';
import type { Logger } from '../interfaces/logger.js';
import type { PodNetwork } from '../interfaces/pod-network.js';
import type { RuntimeBackend } from '../interfaces/runtime-backend.js';
import type { SandboxStore } from '../interfaces/sandbox-record.js';
import type { ShimMetrics } from '../observe/metrics.js';
import { observeParts } from '../observe/observed-parts.js';
import type { ShimTracer } from '../observe/tracer.js';
import type { StreamingEndpoint } from '../streaming/streaming-endpoint.js';
import { Tokens } from '../tokens.js';
import type { ShimConfig } from './shim-config.js';

/** Everything a handler uses, resolved once from the shim's container. Handlers keep no state of their own. */
@injectable()
export class ShimServices {
  /** The parts, their operations measured and traced when the shim has metrics or tracing (see `observeParts`). */
  readonly runtime: RuntimeBackend;
  readonly images: ImageBackend;
  readonly network: PodNetwork;

  constructor(
    @inject(Tokens.ShimConfig) readonly config: ShimConfig,
    @inject(Tokens.RuntimeBackend) runtime: RuntimeBackend,
    @inject(Tokens.ImageBackend) images: ImageBackend,
    @inject(Tokens.PodNetwork) network: PodNetwork,
    @inject(Tokens.SandboxStore) readonly sandboxes: SandboxStore,
    @inject(Tokens.ContainerStore) readonly containers: ContainerStore,
    @inject(Tokens.EventBus) readonly events: EventBus,
    @inject(Tokens.Clock) readonly clock: Clock,
    @inject(Tokens.Logger) readonly logger: Logger,
    @inject(Tokens.Streaming) readonly streaming: StreamingEndpoint,
    @inject(Tokens.Metrics) readonly metrics: ShimMetrics,
    @inject(Tokens.Tracer) readonly tracer: ShimTracer,
  ) {
    ({ runtime: this.runtime, images: this.images, network: this.network } = observeParts({ runtime, images, network }, { metrics, tracer }));
  }
}
