import type { DeepPartial, ImageServiceDefinition, MessageFns, RuntimeServiceDefinition } from './gen/runtime/v1/api.js';

/** The shape of a ts-proto generic method definition. */
export interface MethodDefinition<Req = unknown, Res = unknown> {
  readonly name: string;
  readonly requestType: MessageFns<Req>;
  readonly requestStream: boolean;
  readonly responseType: MessageFns<Res>;
  readonly responseStream: boolean;
}

/** The shape of a ts-proto generic service definition. */
export interface ServiceDefinition {
  readonly name: string;
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDefinition };
}

/** The request message type of a method definition. */
export type RequestOf<M> = M extends { requestType: MessageFns<infer Req> } ? Req : never;

/** The response message type of a method definition. */
export type ResponseOf<M> = M extends { responseType: MessageFns<infer Res> } ? Res : never;

/** Method keys (lower camel case, e.g. `containerStatus`) of a service whose RPC streams responses. */
export type StreamingMethodKeys<D extends ServiceDefinition> = {
  [K in keyof D['methods']]: D['methods'][K] extends { responseStream: true } ? K : never;
}[keyof D['methods']];

/** Re-exported so that users of the helpers need only this package. */
export type { DeepPartial, RuntimeServiceDefinition, ImageServiceDefinition };
