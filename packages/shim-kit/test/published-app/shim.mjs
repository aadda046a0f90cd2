// A complete CRI runtime as a user writes it in plain JavaScript on the published packages.
// Usage: node shim.mjs <socket> <root> <state> <cni-conf-dir>
import { createShim, provide, StderrLogger, Tokens } from 'shimkit';

const [socket, root, state, confDir] = process.argv.slice(2);
const shim = await createShim({
  socket, root, state,
  defaults: { network: { confDir } },
  modules: [provide(Tokens.Logger, new StderrLogger())],
});
process.once('SIGTERM', () => void shim.close()); // containers keep running
