// A stand-in for an OpenTelemetry collector: a real gRPC server on 127.0.0.1 answering OTLP
// TraceService/Export, keeping the spans it receives.
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, Server, ServerCredentials, type GrpcObject, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** A span as the collector received it (ids in hex). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  attributes: Record<string, string | number | boolean>;
  status: { code: string; message: string };
  serviceName: string;
}

interface WireValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
}
interface WireKeyValue {
  key: string;
  value?: WireValue;
}
interface WireSpan {
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId: Buffer;
  name: string;
  kind: string;
  attributes: WireKeyValue[];
  status?: { code: string; message: string };
}
interface ExportRequest {
  resourceSpans: { resource?: { attributes: WireKeyValue[] }; scopeSpans: { spans: WireSpan[] }[] }[];
}

const PROTO = fileURLToPath(new URL('otlp-trace-service.proto', import.meta.url));

function attributes(list: readonly WireKeyValue[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) out[key] = value?.stringValue ?? value?.boolValue ?? (value?.intValue === undefined ? value?.doubleValue ?? '' : Number(value.intValue));
  return out;
}

export class TraceCollector {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    /** What arrived so far, in order. */
    readonly spans: ReceivedSpan[],
  ) {}

  static async start(): Promise<TraceCollector> {
    const definition = loadSync(PROTO, { enums: String, oneofs: false, defaults: true, longs: String });
    const collector = ((loadPackageDefinition(definition).opentelemetry as GrpcObject).proto as GrpcObject).collector as GrpcObject;
    const traceService = ((collector.trace as GrpcObject).v1 as GrpcObject).TraceService as unknown as { service: ServiceDefinition };
    const spans: ReceivedSpan[] = [];
    const server = new Server();
    server.addService(traceService.service, {
      Export: (call: ServerUnaryCall<ExportRequest, object>, callback: sendUnaryData<object>) => {
        for (const resourceSpans of call.request.resourceSpans) {
          const serviceName = String(attributes(resourceSpans.resource?.attributes ?? [])['service.name'] ?? '');
          for (const span of resourceSpans.scopeSpans.flatMap((s) => s.spans)) {
            spans.push({
              traceId: span.traceId.toString('hex'),
              spanId: span.spanId.toString('hex'),
              parentSpanId: span.parentSpanId.toString('hex'),
              name: span.name,
              kind: span.kind,
              attributes: attributes(span.attributes),
              status: span.status ?? { code: 'STATUS_CODE_UNSET', message: '' },
              serviceName,
            });
          }
        }
        callback(null, {});
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    return new TraceCollector(server, `127.0.0.1:${port}`, spans);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
