import type { HostHelper } from '@shimkit/host-helper';
import type { InjectionToken } from './di.js';
import type { Clock } from './interfaces/clock.js';
import type { ContainerStore } from './interfaces/container-record.js';
import type { EventBus } from './interfaces/event-bus.js';
import type { ImageBackend } from './interfaces/image-backend.js';
import type { Logger } from './interfaces/logger.js';
import type { PodNetwork } from './interfaces/pod-network.js';
import type { RuntimeBackend } from './interfaces/runtime-backend.js';
import type { SandboxStore } from './interfaces/sandbox-record.js';
import type { ShimMetrics } from './observe/metrics.js';
import type { ShimTracer } from './observe/tracer.js';
import type { ShimConfig } from './shim/shim-config.js';
import type { StreamingEndpoint } from './streaming/streaming-endpoint.js';

// A symbol that remembers the type registered under it (for `provide` and `resolve` helpers).
export type Token<T> = symbol & { readonly __type?: T };

function token<T>(name: string): Token<T> & InjectionToken<T> {
  return Symbol(`shimkit.${name}`) as Token<T> & InjectionToken<T>;
}

/** Injection tokens of a shim's parts; register a module for any of them to swap that part. */
export const Tokens = {
  RuntimeBackend: token<RuntimeBackend>('RuntimeBackend'),
  ImageBackend: token<ImageBackend>('ImageBackend'),
  PodNetwork: token<PodNetwork>('PodNetwork'),
  SandboxStore: token<SandboxStore>('SandboxStore'),
  ContainerStore: token<ContainerStore>('ContainerStore'),
  EventBus: token<EventBus>('EventBus'),
  Clock: token<Clock>('Clock'),
  Logger: token<Logger>('Logger'),
  ShimConfig: token<ShimConfig>('ShimConfig'),
  /** The one host helper process the default modules share (runtime calls, mounts, namespaces, streams); the shim closes it last. */
  HostHelper: token<HostHelper>('HostHelper'),
  /** Where Exec, Attach and PortForward point kubelet: `createShim`'s streaming server once it listens (Unimplemented without one). */
  Streaming: token<StreamingEndpoint>('Streaming'),
  /** What the shim counts about itself (default: nothing; `prometheusMetricsModule()` keeps Prometheus metrics). */
  Metrics: token<ShimMetrics>('Metrics'),
  /** Spans of CRI calls and the runtime, CNI and pull work under them (default: none; `otelTracingModule()` exports OTLP). */
  Tracer: token<ShimTracer>('Tracer'),
} as const;
