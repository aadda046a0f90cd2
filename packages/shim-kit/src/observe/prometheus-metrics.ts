import type * as PromClient from 'prom-client';
import { provideFactory, type ShimModule } from '../shim/modules.js';
import { Tokens } from '../tokens.js';
import type { OperationDone, OperationKind, RpcDone, ShimMetrics, StateCounts } from './metrics.js';
import { countStates } from './state-counts.js';

type Prom = typeof PromClient;

const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const PULL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const POD_STATES = ['ready', 'notready'];
const CONTAINER_STATES = ['created', 'running', 'exited', 'unknown'];

/** Options of {@link PrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Counts pods and containers by state when scraped. */
  states?: () => StateCounts;
  /** Node's process metrics too (`process_resident_memory_bytes`, ...; default true). */
  processMetrics?: boolean;
}

/** `metrics` of `createShim` and of the config file: Prometheus metrics, served at `GET /metrics` on `address` when given. */
export type MetricsOptions = Omit<PrometheusMetricsOptions, 'states'> & { address?: string };

/** {@link ShimMetrics} kept in a prom-client registry of its own, named `shimkit_*` after CRI-O's and containerd's. */
export class PrometheusMetrics implements ShimMetrics {
  /** The registry the metrics live in, for reading them in process (`registry.getMetricsAsJSON()`). */
  readonly registry: PromClient.Registry;
  readonly #rpcSeconds: PromClient.Histogram<'method'>;
  readonly #rpcs: PromClient.Counter<'method' | 'code'>;
  readonly #pullSeconds: PromClient.Histogram;
  readonly #pullBytes: PromClient.Counter;
  readonly #pullFailures: PromClient.Counter<'code'>;
  readonly #operationSeconds: Record<OperationKind, PromClient.Histogram<'operation'>>;
  readonly #operationErrors: Record<OperationKind, PromClient.Counter<'operation'>>;
  readonly #ooms: PromClient.Counter;

  constructor(prom: Prom, options: PrometheusMetricsOptions = {}) {
    this.registry = new prom.Registry();
    const registers = [this.registry];
    if (options.processMetrics !== false) prom.collectDefaultMetrics({ register: this.registry });
    this.#rpcSeconds = new prom.Histogram({ name: 'shimkit_grpc_request_duration_seconds', help: 'Time to answer a CRI call, by method.', labelNames: ['method'], buckets: RPC_BUCKETS, registers });
    this.#rpcs = new prom.Counter({ name: 'shimkit_grpc_requests_total', help: 'CRI calls answered, by method and gRPC status code.', labelNames: ['method', 'code'], registers });
    this.#pullSeconds = new prom.Histogram({ name: 'shimkit_image_pull_duration_seconds', help: 'Time to pull an image, failed pulls included.', buckets: PULL_BUCKETS, registers });
    this.#pullBytes = new prom.Counter({ name: 'shimkit_image_pull_bytes_total', help: 'Compressed layer bytes downloaded by image pulls.', registers });
    this.#pullFailures = new prom.Counter({ name: 'shimkit_image_pull_failures_total', help: 'Image pulls that failed, by error code.', labelNames: ['code'], registers });
    const operations = (kind: OperationKind, what: string) => ({
      seconds: new prom.Histogram({ name: `shimkit_${kind}_operation_duration_seconds`, help: `Time of ${what} operations, by operation.`, labelNames: ['operation'], buckets: RPC_BUCKETS, registers }),
      errors: new prom.Counter({ name: `shimkit_${kind}_operation_errors_total`, help: `${what} operations that failed, by operation.`, labelNames: ['operation'], registers }),
    });
    const runtime = operations('runtime', 'OCI runtime (runc, conmon)');
    const cni = operations('cni', 'CNI network');
    this.#operationSeconds = { runtime: runtime.seconds, cni: cni.seconds };
    this.#operationErrors = { runtime: runtime.errors, cni: cni.errors };
    this.#ooms = new prom.Counter({ name: 'shimkit_containers_oom_total', help: 'Containers their memory limit killed.', registers });
    const states = options.states;
    if (states !== undefined) {
      const byState = (name: string, help: string, known: readonly string[], pick: (c: StateCounts) => Record<string, number>) =>
        new prom.Gauge({
          name,
          help,
          labelNames: ['state'],
          registers,
          collect() {
            const counts = pick(states());
            for (const state of new Set([...known, ...Object.keys(counts)])) this.set({ state }, counts[state] ?? 0);
          },
        });
      byState('shimkit_pods', 'Pod sandboxes, by state.', POD_STATES, (c) => c.pods);
      byState('shimkit_containers', 'Containers, by state.', CONTAINER_STATES, (c) => c.containers);
    }
  }

  rpcDone({ rpc, code, seconds }: RpcDone): void {
    this.#rpcSeconds.observe({ method: rpc }, seconds);
    this.#rpcs.inc({ method: rpc, code });
  }

  imagePullDone(seconds: number, failure?: string): void {
    this.#pullSeconds.observe(seconds);
    if (failure !== undefined) this.#pullFailures.inc({ code: failure });
  }

  imagePullBytes(bytes: number): void {
    this.#pullBytes.inc(bytes);
  }

  operationDone({ kind, operation, seconds, failed }: OperationDone): void {
    this.#operationSeconds[kind].observe({ operation }, seconds);
    if (failed) this.#operationErrors[kind].inc({ operation });
  }

  oomKilled(): void {
    this.#ooms.inc();
  }

  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  close(): Promise<void> {
    this.registry.clear();
    return Promise.resolve();
  }
}

/**
 * A module registering {@link PrometheusMetrics} under `Tokens.Metrics`, with pods and containers
 * counted from the shim's stores. Async: prom-client is loaded only by shims that keep metrics.
 */
export async function prometheusMetricsModule(options: Omit<PrometheusMetricsOptions, 'states'> = {}): Promise<ShimModule> {
  const prom = await import('prom-client');
  return provideFactory(Tokens.Metrics, (c) => new PrometheusMetrics(prom, { ...options, states: () => countStates(c.resolve(Tokens.SandboxStore), c.resolve(Tokens.ContainerStore)) }));
}
