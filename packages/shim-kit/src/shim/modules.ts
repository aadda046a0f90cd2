import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { instanceCachingFactory, type DependencyContainer } from '../di.js';
import { MemoryEventBus } from '../runtime/memory-event-bus.js';
import { noopMetrics } from '../observe/metrics.js';
import { noopTracer } from '../observe/tracer.js';
import { NoopLogger } from '../runtime/noop-logger.js';
import { SystemClock } from '../runtime/system-clock.js';
import { noStreaming } from '../streaming/streaming-endpoint.js';
import { DiskContainerStore, DiskSandboxStore, MemoryContainerStore, MemorySandboxStore } from '../store/stores.js';
import { Tokens, type Token } from '../tokens.js';

/** Registers implementations in a shim's container. Later modules override earlier ones, token by token. */
export type ShimModule = (container: DependencyContainer) => void;

/** A module registering one value (used as is, never constructed). */
export function provide<T>(token: Token<T>, value: T): ShimModule {
  return (c) => void c.register<T>(token, { useValue: value });
}

/** A module registering a factory, called once, on first use, with the shim's container. */
export function provideFactory<T>(token: Token<T>, factory: (container: DependencyContainer) => T): ShimModule {
  return (c) => void c.register<T>(token, { useFactory: instanceCachingFactory<T>(factory) });
}

/** The parts every shim gets unless a module overrides them: system clock, silent logger, in-memory event bus, no metrics or tracing. */
export function coreModule(): ShimModule {
  return (c) => {
    provide(Tokens.Clock, new SystemClock())(c);
    provide(Tokens.Logger, new NoopLogger())(c);
    provide(Tokens.EventBus, new MemoryEventBus())(c);
    provide(Tokens.Streaming, noStreaming)(c);
    provide(Tokens.Metrics, noopMetrics)(c);
    provide(Tokens.Tracer, noopTracer)(c);
    // started on first use: a shim of fakes never runs it
    provideFactory(Tokens.HostHelper, () => new HostHelper())(c);
  };
}

/** Sandbox and container stores on disk under `<root>/sandboxes` and `<root>/containers` (the default). */
export function diskStoresModule(root: string): ShimModule {
  return (c) => {
    provideFactory(Tokens.SandboxStore, (r) => new DiskSandboxStore(join(root, 'sandboxes'), { logger: r.resolve(Tokens.Logger) }))(c);
    provideFactory(Tokens.ContainerStore, (r) => new DiskContainerStore(join(root, 'containers'), { logger: r.resolve(Tokens.Logger) }))(c);
  };
}

/** Sandbox and container stores in memory only (state is lost when the shim stops). */
export function memoryStoresModule(): ShimModule {
  return (c) => {
    provide(Tokens.SandboxStore, new MemorySandboxStore())(c);
    provide(Tokens.ContainerStore, new MemoryContainerStore())(c);
  };
}
