// The shim under benchmark, in a process of its own (so its RSS is its own): createShim with
// the real modules (runc + conmon, image-store, CNI). Prints `ready <pid>` once it serves;
// SIGTERM closes it (containers keep running, as a real shim's would).
//   node shim-server.mjs <json options: socket, root, state, confDir, registryHost, trace?>
//   `trace`: a file to record every child process in (see spawn-trace.mjs).
import { installSpawnTrace } from './spawn-trace.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
if (options.trace) installSpawnTrace(options.trace);
// Loaded after the trace is installed, so their `spawn`/`execFile` bindings are the traced ones.
const { createShim } = await import('../dist/index.js');
const { runcConmonModule } = await import('../dist/modules/runc/index.js');
const { imageStoreModule } = await import('../dist/modules/images/index.js');
const { cniNetworkModule } = await import('../dist/modules/cni/index.js');
const shim = await createShim({
  socket: options.socket,
  root: options.root,
  state: options.state,
  modules: [
    runcConmonModule({ runtime: 'runc' }),
    imageStoreModule({ registry: { hosts: { [options.registryHost]: { plainHttp: true } } } }),
    cniNetworkModule({ confDir: options.confDir, binDirs: ['/usr/lib/cni'] }),
  ],
});
let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await shim.close({ timeoutMs: 5_000 });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', () => undefined); // the bench's Ctrl-C: the parent cleans up through us, then SIGTERMs
process.stdout.write(`ready ${process.pid}\n`);
