import { performance } from 'node:perf_hooks';
import type { ImageBackend } from '../interfaces/image-backend.js';
import type { PodNetwork } from '../interfaces/pod-network.js';
import type { RuntimeBackend } from '../interfaces/runtime-backend.js';
import { noopMetrics, type OperationKind, type ShimMetrics } from './metrics.js';
import { noopTracer, type ShimTracer } from './tracer.js';

// The operations timed: each goes to runc or conmon (runtime), CNI plugins (cni).
const RUNTIME_OPERATIONS = ['runSandbox', 'stopSandbox', 'removeSandbox', 'createContainer', 'startContainer', 'stopContainer', 'removeContainer', 'containerState', 'execSync', 'exec', 'attach', 'updateResources', 'stats', 'reopenContainerLog'] as const;
const NETWORK_OPERATIONS = ['setup', 'teardown', 'status'] as const;

const errorCode = (e: unknown): string => {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'Unknown';
};

// A copy of `part` whose `operations` are timed and traced; the rest of it is used as is.
function observe<T extends object>(part: T, operations: readonly string[], time: (operation: string, work: () => Promise<unknown>) => Promise<unknown>): T {
  const wrapped = new Map<string | symbol, unknown>();
  for (const operation of operations) {
    const method = (part as Record<string, unknown>)[operation];
    if (typeof method !== 'function') continue;
    wrapped.set(operation, (...args: unknown[]) => time(operation, () => (method as (...a: unknown[]) => Promise<unknown>).apply(part, args)));
  }
  return new Proxy(part, {
    get: (target, key) => {
      if (wrapped.has(key)) return wrapped.get(key);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function timed<T>(metrics: ShimMetrics, tracer: ShimTracer, kind: OperationKind, operation: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let failed = true;
  try {
    const result = await tracer.inSpan({ name: `${kind}.${operation}`, attributes: { 'shimkit.operation': operation } }, work);
    failed = false;
    return result;
  } finally {
    metrics.operationDone({ kind, operation, seconds: (performance.now() - started) / 1000, failed });
  }
}

/** The parts a shim's handlers use, with the runtime, CNI and pull calls timed and traced. */
export interface ObservedParts {
  runtime: RuntimeBackend;
  network: PodNetwork;
  images: ImageBackend;
}

/**
 * Wraps the runtime backend, pod network and image backend so that their operations are
 * measured (`shimkit_runtime_*`, `shimkit_cni_*`, `shimkit_image_pull_*`) and become child spans
 * of the CRI call's span. With neither metrics nor tracing the parts are returned as they are.
 */
export function observeParts(parts: ObservedParts, { metrics, tracer }: { metrics: ShimMetrics; tracer: ShimTracer }): ObservedParts {
  if (metrics === noopMetrics && tracer === noopTracer) return parts;
  const pull = async (operation: string, work: () => Promise<unknown>): Promise<unknown> => {
    const started = performance.now();
    try {
      const image = await tracer.inSpan({ name: `image.${operation}` }, work);
      metrics.imagePullDone((performance.now() - started) / 1000);
      return image;
    } catch (e) {
      metrics.imagePullDone((performance.now() - started) / 1000, errorCode(e));
      throw e;
    }
  };
  return {
    runtime: observe(parts.runtime, RUNTIME_OPERATIONS, (op, work) => timed(metrics, tracer, 'runtime', op, work)),
    network: observe(parts.network, NETWORK_OPERATIONS, (op, work) => timed(metrics, tracer, 'cni', op, work)),
    images: observe(parts.images, ['pull'], pull),
  };
}
