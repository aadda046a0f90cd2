import type { CriCallContext, DeepPartial } from '@shimkit/cri-types';
import type { ShimServices } from '../shim/shim-services.js';

/** A unary CRI handler: stateless, everything it needs comes from `shim`. */
export type ShimHandler<Req, Res> = (shim: ShimServices, request: Req, ctx: CriCallContext) => Promise<DeepPartial<Res>>;

/** A server-streaming CRI handler. */
export type ShimStreamHandler<Req, Res> = (shim: ShimServices, request: Req, ctx: CriCallContext) => AsyncIterable<DeepPartial<Res>>;
