import { AsyncLocalStorage } from 'node:async_hooks';
import type * as OtelApi from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { toGrpcStatus } from '@shimkit/cri-types';
import { HostHelper } from '@shimkit/host-helper';
import { provide, provideFactory, type ShimModule } from '../shim/modules.js';
import { Tokens } from '../tokens.js';
import { currentCall } from './call-context.js';
import { tracedHostHelper } from './traced-host-helper.js';
import type { ShimTracer, SpanAttributes } from './tracer.js';

/** Options of {@link OtelTracer.start}. */
export interface OtelTracingOptions {
  /** The OTLP gRPC collector: `host:port` (plain text) or an `http://` / `https://` URL; CRI-O's default is `0.0.0.0:4317`. */
  endpoint: string;
  /** The `service.name` resource attribute (default `shimkit`). */
  serviceName?: string;
  /**
   * Root spans kept per million calls (default: all of them); a call whose traceparent the
   * client sent follows the client's sampling decision.
   */
  samplingRatePerMillion?: number;
}

type Api = typeof OtelApi;

/**
 * {@link ShimTracer} on OpenTelemetry: spans go through a batch processor to an OTLP gRPC
 * exporter. The parent of each call's span comes from the client's metadata (W3C trace
 * context); nothing is registered globally, so several shims in one process trace apart.
 */
export class OtelTracer implements ShimTracer {
  readonly #active = new AsyncLocalStorage<OtelApi.Context>();

  private constructor(
    private readonly api: Api,
    private readonly provider: BasicTracerProvider,
    private readonly tracer: OtelApi.Tracer,
    private readonly propagator: OtelApi.TextMapPropagator,
  ) {}

  /** Loads OpenTelemetry (only now: shims that do not trace never load it) and sets up the exporter. */
  static async start(options: OtelTracingOptions): Promise<OtelTracer> {
    const [api, core, sdk, resources, otlp] = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/core'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-grpc'),
    ]);
    const url = /^[a-z]+:\/\//.test(options.endpoint) ? options.endpoint : `http://${options.endpoint}`;
    const ratio = (options.samplingRatePerMillion ?? 1_000_000) / 1_000_000;
    const provider = new sdk.BasicTracerProvider({
      resource: resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'shimkit' }),
      sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) }),
      spanProcessors: [new sdk.BatchSpanProcessor(new otlp.OTLPTraceExporter({ url }))],
    });
    return new OtelTracer(api, provider, provider.getTracer('shimkit'), new core.W3CTraceContextPropagator());
  }

  inCall<T>({ rpc, headers }: { rpc: string; headers: Readonly<Record<string, string>> }, work: () => Promise<T>): Promise<T> {
    const parent = this.propagator.extract(this.api.ROOT_CONTEXT, headers, this.api.defaultTextMapGetter);
    const [service = '', method = rpc] = rpc.split('/');
    const call = currentCall();
    const attributes: SpanAttributes = {
      'rpc.system': 'grpc',
      'rpc.service': service,
      'rpc.method': method,
      ...(call === undefined ? {} : { 'shimkit.request_id': call.requestId }),
    };
    return this.run(rpc, { kind: this.api.SpanKind.SERVER, attributes }, parent, work, (span, e) =>
      span.setAttribute('rpc.grpc.status_code', e === undefined ? 0 : toGrpcStatus(e).code),
    );
  }

  inSpan<T>({ name, attributes = {} }: { name: string; attributes?: SpanAttributes }, work: () => Promise<T>): Promise<T> {
    const parent = this.#active.getStore();
    if (parent === undefined) return work();
    return this.run(name, { kind: this.api.SpanKind.INTERNAL, attributes }, parent, work);
  }

  async close(): Promise<void> {
    await this.provider.shutdown();
  }

  private async run<T>(name: string, options: OtelApi.SpanOptions, parent: OtelApi.Context, work: () => Promise<T>, onSettled?: (span: OtelApi.Span, error?: unknown) => void): Promise<T> {
    const span = this.tracer.startSpan(name, options, parent);
    try {
      const result = await this.#active.run(this.api.trace.setSpan(parent, span), work);
      onSettled?.(span);
      return result;
    } catch (e) {
      onSettled?.(span, e);
      span.recordException(e instanceof Error ? e : String(e));
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  }
}

/**
 * A module registering an {@link OtelTracer} under `Tokens.Tracer`, and a host helper that
 * traces the programs it runs (a module that provides its own `Tokens.HostHelper` replaces it).
 * Async, since it loads OpenTelemetry.
 */
export async function otelTracingModule(options: OtelTracingOptions): Promise<ShimModule> {
  const tracer = await OtelTracer.start(options);
  return (c) => {
    provide(Tokens.Tracer, tracer)(c);
    provideFactory(Tokens.HostHelper, (r) => tracedHostHelper(new HostHelper(), r.resolve(Tokens.Tracer)))(c);
  };
}
