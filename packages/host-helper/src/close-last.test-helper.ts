// A program whose last step is an awaited close(), with a job still running: it must get past
// the close (print, exit 0), not end with it unsettled because an idle helper keeps nothing
// alive (Node's exit code 13).
import { HostHelper } from './host-helper.js';

const helper = new HostHelper();
const job = helper.run({ argv: ['sleep', '0.2'] });
await helper.close();
console.log(`closed after a job that exited ${(await job).exitCode}`);
