// examples/minimal-shim in plain JavaScript, as a user writes it on the published packages.
// Usage: node shim.mjs [socket] [root] [state]   (CNI_CONF_DIR picks the CNI config dir)
import { createShim, provide, StderrLogger, Tokens } from 'shimkit';

const [socket = '/run/minimal-shim/cri.sock', root = '/var/lib/minimal-shim', state = '/run/minimal-shim'] = process.argv.slice(2);
const shim = await createShim({
  socket, root, state,
  defaults: { network: { confDir: process.env.CNI_CONF_DIR ?? '/etc/cni/net.d' } },
  modules: [provide(Tokens.Logger, new StderrLogger())],
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void shim.close()); // containers keep running
