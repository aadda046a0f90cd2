// Builds the host helper (src/native/*.c) into dist/shimkit-helper with the system's C compiler.
// It runs at `npm run build` here and as the package's install script where it is installed: the
// tarball carries the C sources, not a binary of the machine that packed it. Warnings fail the
// build here but not at a user's install, where a newer compiler may warn about more.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = readdirSync(join(root, 'src/native')).filter((f) => f.endsWith('.c')).map((f) => join(root, 'src/native', f));
mkdirSync(join(root, 'dist'), { recursive: true });
const cc = process.env.CC ?? 'cc';
const atInstall = process.env.npm_lifecycle_event === 'install';
const flags = ['-std=gnu11', '-O2', '-D_GNU_SOURCE', '-Wall', '-Wextra', ...(atInstall ? [] : ['-Werror']), '-fstack-protector-strong', '-D_FORTIFY_SOURCE=2'];
try {
  execFileSync(cc, [...flags, '-o', join(root, 'dist/shimkit-helper'), ...sources], { stdio: 'inherit' });
} catch (e) {
  if (e.code === 'ENOENT') console.error(`build-native: no C compiler (${cc}); install one (Debian: apt-get install gcc libc6-dev) and run \`npm rebuild @shimkit/host-helper\``);
  process.exit(1);
}
