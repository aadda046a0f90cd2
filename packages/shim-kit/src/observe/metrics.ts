/** Where an operation of a shim part was timed: the OCI runtime (runc, conmon) or CNI. */
export type OperationKind = 'runtime' | 'cni';

/** A CRI call that ended: `code` is its gRPC status name (`OK`, `NotFound`, ...). */
export interface RpcDone {
  rpc: string;
  code: string;
  seconds: number;
}

/** A runtime or CNI operation that ended (`operation`: the RuntimeBackend or PodNetwork method). */
export interface OperationDone {
  kind: OperationKind;
  operation: string;
  seconds: number;
  failed: boolean;
}

/** Pods and containers counted by state, for gauges read on scrape. */
export interface StateCounts {
  pods: Record<string, number>;
  containers: Record<string, number>;
}

/**
 * What a shim reports about itself as it works; registered under `Tokens.Metrics`. The
 * default counts nothing; `prometheusMetricsModule()` keeps Prometheus metrics.
 */
export interface ShimMetrics {
  /** A CRI call ended. */
  rpcDone(call: RpcDone): void;
  /** An image pull ended; `failure` is the error code when it failed. */
  imagePullDone(seconds: number, failure?: string): void;
  /** Compressed layer bytes a pull downloaded. */
  imagePullBytes(bytes: number): void;
  /** A runtime or CNI operation ended. */
  operationDone(done: OperationDone): void;
  /** A container's memory limit killed it. */
  oomKilled(): void;
  /** The text exposition served at `GET /metrics`. */
  scrape(): Promise<{ contentType: string; text: string }>;
  close(): Promise<void>;
}

/** The default: counts nothing, costs nothing. */
export const noopMetrics: ShimMetrics = {
  rpcDone: () => undefined,
  imagePullDone: () => undefined,
  imagePullBytes: () => undefined,
  operationDone: () => undefined,
  oomKilled: () => undefined,
  scrape: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: '' }),
  close: () => Promise.resolve(),
};
