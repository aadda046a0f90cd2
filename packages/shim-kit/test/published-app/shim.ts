// The same runtime in TypeScript (strict, module NodeNext), compiled against the published types.
// Usage: node shim.js <socket> <root> <state> <cni-conf-dir>
import { createShim, provide, StderrLogger, Tokens, type Shim } from 'shimkit';

const [socket, root, state, confDir] = process.argv.slice(2);
if (!socket || !root || !state || !confDir) throw new Error('usage: shim <socket> <root> <state> <cni-conf-dir>');
const shim: Shim = await createShim({
  socket, root, state,
  defaults: { network: { confDir } },
  modules: [provide(Tokens.Logger, new StderrLogger())],
});
process.once('SIGTERM', () => void shim.close()); // containers keep running
