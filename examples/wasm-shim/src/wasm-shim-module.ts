import { join } from 'node:path';
import { createRuncConmonBackend, handlerRoutingModule, Tokens, type RuncConmonModuleOptions, type ShimModule } from 'shimkit';
import { WasmBackend, type WasmBackendOptions } from './wasm-backend.js';

/** Options of {@link wasmShimModule}. */
export interface WasmShimModuleOptions {
  /** The runc + conmon backend's options (runtime binary, more handlers such as crun ...). */
  runtime?: RuncConmonModuleOptions;
  /** The wasm backend's options; `state` defaults to `<shim state>/wasm`. */
  wasm?: Partial<WasmBackendOptions>;
}

/**
 * Registers the RuntimeBackend of the wasm shim: pods whose runtime handler is `wasm` run on
 * {@link WasmBackend}, every other pod on shimkit's runc + conmon backend, in one CRI server.
 */
export function wasmShimModule(options: WasmShimModuleOptions = {}): ShimModule {
  return handlerRoutingModule([
    (c) => createRuncConmonBackend(c, options.runtime),
    (c) => new WasmBackend({ state: join(c.resolve(Tokens.ShimConfig).state, 'wasm'), logger: c.resolve(Tokens.Logger), ...options.wasm }),
  ]);
}
