// Runs `true` through the installed host helper; prints its exit code, or the error's code and message.
import { HostHelper } from '@shimkit/host-helper';

const helper = new HostHelper();
await helper.run({ argv: ['true'] }).then(
  (r) => console.log(`exit ${r.exitCode}`),
  (e) => console.log(`${e.code}: ${e.message}`),
);
await helper.close();
