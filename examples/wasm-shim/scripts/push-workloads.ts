// Builds the example's WASI workloads from ../workloads/*.wat (wabt's wat2wasm) and pushes them to a
// registry: <host>/wasm/modules:latest (an OCI image, /hello.wasm its entrypoint, the other modules
// beside it) and <host>/wasm/exit-code-artifact:v1 (a CNCF Wasm OCI artifact).
//   npm run push-workloads -- 127.0.0.1:5000
import { pushWasmTestImages } from '../src/wasm-workloads.test-helper.js';

const host = process.argv[2];
if (host === undefined || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) {
  process.stderr.write('usage: npm run push-workloads -- <registry host:port>   (plain HTTP, e.g. 127.0.0.1:5000)\n');
  process.exit(2);
}
const pushed = await pushWasmTestImages(host);
process.stdout.write(`${pushed.modules}\n${pushed.artifact}\n`);
