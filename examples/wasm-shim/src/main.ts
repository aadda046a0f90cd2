#!/usr/bin/env node
// wasm-shim: one CRI runtime for WebAssembly and Linux pods. Pods whose runtime handler is `wasm`
// (a RuntimeClass with `handler: wasm`) run WASI preview 1 modules; all others run on runc.
// Usage: wasm-shim [socket] [root] [state]
//   CNI_CONF_DIR picks the CNI config dir; WASM_SHIM_WARM_RUNNERS how many runners wait booted (default 2).
import { createShim, provide, StderrLogger, Tokens } from 'shimkit';
import { wasmShimModule } from './wasm-shim-module.js';

function warmRunners(value: string | undefined): number | undefined {
  // unset: the backend's default
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) {
    process.stderr.write(`wasm-shim: WASM_SHIM_WARM_RUNNERS must be a number of runners, not ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return Number(value);
}

const [socket = '/run/wasm-shim/cri.sock', root = '/var/lib/wasm-shim', state = '/run/wasm-shim'] = process.argv.slice(2);
const shim = await createShim({
  socket, root, state,
  runtimeName: 'wasm-shim',
  defaults: { network: { confDir: process.env.CNI_CONF_DIR ?? '/etc/cni/net.d' } },
  modules: [provide(Tokens.Logger, new StderrLogger()), wasmShimModule({ wasm: { warmRunners: warmRunners(process.env.WASM_SHIM_WARM_RUNNERS) } })],
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shim.close()); // containers keep running
