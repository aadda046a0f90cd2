export { WasmBackend, WASM_HANDLER, type WasmBackendOptions } from './wasm-backend.js';
export { wasmShimModule, type WasmShimModuleOptions } from './wasm-shim-module.js';
