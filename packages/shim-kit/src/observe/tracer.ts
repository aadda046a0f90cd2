/** Span attributes, as OpenTelemetry takes them. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/**
 * Traces a shim's work; registered under `Tokens.Tracer`. The default traces nothing;
 * `otelTracingModule()` exports OpenTelemetry spans over OTLP gRPC.
 */
export interface ShimTracer {
  /**
   * Runs one CRI call in a server span named `rpc` (`runtime.v1.RuntimeService/RunPodSandbox`), the child of the W3C trace context in
   * `headers` (`traceparent`, `tracestate`) when the client sent one.
   */
  inCall<T>(call: { rpc: string; headers: Readonly<Record<string, string>> }, work: () => Promise<T>): Promise<T>;
  /** Runs `work` in a span that is a child of the current call's span; outside a call it only runs it. */
  inSpan<T>(span: { name: string; attributes?: SpanAttributes }, work: () => Promise<T>): Promise<T>;
  /** Sends what is buffered and stops. */
  close(): Promise<void>;
}

/** The default: no spans. */
export const noopTracer: ShimTracer = {
  inCall: (_call, work) => work(),
  inSpan: (_span, work) => work(),
  close: () => Promise.resolve(),
};
