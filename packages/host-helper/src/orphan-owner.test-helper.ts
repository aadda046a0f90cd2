// Run by a test as its own process: starts a helper with a job running, prints the helper's pid,
// and exits without closing it, as a shim that dies would.
import { HostHelper } from './host-helper.js';

const helper = new HostHelper();
void helper.run({ argv: ['sleep', process.argv[2] ?? '2'] });
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write(`${helper.pid}\n`);
process.exit(0);
