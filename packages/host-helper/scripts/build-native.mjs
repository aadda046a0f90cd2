// Builds the host helper (src/native/*.c) into dist/shimkit-helper, and the malloc-trim addon
// (src/addon/malloc-trim.c) into dist/malloc-trim.node, with the system's C compiler.
// It runs at `npm run build` here and as the package's install script where it is installed: the
// tarball carries the C sources, not a binary of the machine that packed it. Warnings fail the
// build here but not at a user's install, where a newer compiler may warn about more; there a
// node without its headers gets the helper without the addon (trimMallocHeap then says so).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = readdirSync(join(root, 'src/native')).filter((f) => f.endsWith('.c')).map((f) => join(root, 'src/native', f));
mkdirSync(join(root, 'dist'), { recursive: true });
const cc = process.env.CC ?? 'cc';
const atInstall = process.env.npm_lifecycle_event === 'install';
const flags = ['-std=gnu11', '-O2', '-D_GNU_SOURCE', '-Wall', '-Wextra', ...(atInstall ? [] : ['-Werror']), '-fstack-protector-strong', '-D_FORTIFY_SOURCE=2'];
// Node's headers (node_api.h) beside the node binary: /usr/bin/node -> /usr/include/node.
const nodeHeaders = join(dirname(dirname(realpathSync(process.execPath))), 'include/node');
const withAddon = existsSync(join(nodeHeaders, 'node_api.h'));
if (!withAddon) {
  console.error(`build-native: no node_api.h in ${nodeHeaders}; the malloc-trim addon needs the headers of the node that builds it (Debian's nodejs package has them)`);
  if (!atInstall) process.exit(1);
}
try {
  execFileSync(cc, [...flags, '-o', join(root, 'dist/shimkit-helper'), ...sources], { stdio: 'inherit' });
  if (withAddon) execFileSync(cc, [...flags, '-shared', '-fPIC', '-I', nodeHeaders, '-o', join(root, 'dist/malloc-trim.node'), join(root, 'src/addon/malloc-trim.c')], { stdio: 'inherit' });
} catch (e) {
  if (e.code === 'ENOENT') console.error(`build-native: no C compiler (${cc}); install one (Debian: apt-get install gcc libc6-dev) and run \`npm rebuild @shimkit/host-helper\``);
  process.exit(1);
}
