// Builds the CLI's startup snapshot, dist/cli/cli.blob, for the node running this script: a blob
// works only with the node binary that built it, so the package's build and its install make it
// where it is installed (as the host helper compiles its C). Beside it, cli.blob.node names that
// node; bin/shimkit uses the blob only with that same file, when the blob is newer than it, and
// otherwise runs dist/cli/main.js. Without the bundle (an install before the first build) there
// is nothing to do. At install a blob that cannot be built is reported and left out; the
// package's build (`--required`) fails instead, naming the cause.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const script = `${cli}cli-snapshot.cjs`;
const blob = `${cli}cli.blob`;
const required = process.argv.includes('--required');

rmSync(`${blob}.node`, { force: true });
if (!existsSync(script)) process.exit(0);
try {
  execFileSync(process.execPath, ['--no-warnings', '--snapshot-blob', blob, '--build-snapshot', script], { stdio: ['ignore', 'inherit', 'pipe'] });
  writeFileSync(`${blob}.node`, `${realpathSync(process.execPath)}\n`);
} catch (e) {
  rmSync(blob, { force: true });
  // the CLI still works without it, only slower to start
  process.stderr.write(`shimkit: no startup snapshot for this node (${process.execPath}): ${(e.stderr ?? e.message).toString().trim()}\n`);
  if (required) process.exitCode = 1;
}
