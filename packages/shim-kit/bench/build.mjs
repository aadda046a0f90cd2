// Benchmark (not a test): `shimkit build` against `buildah bud --layers` (Debian's buildah 1.28,
// runc, overlay storage of its own), same run, same machine, the five-step
// Containerfile (FROM busybox, ENV, RUN, COPY, WORKDIR/CMD) with the base image already local:
//   cold     every step run (--no-cache)
//   cached   the same build again: every step from the layer cache
//   changed  one COPY input edited: the RUN from the cache, COPY on
// Each tool runs as its own command line, as a user would; the tools alternate and the order
// flips every round. Medians of wall time and the ratio.
//   npm run bench    or    BENCH_BUILD_ROUNDS=7 node bench/build.mjs
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { median, table } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_BUILD_ROUNDS ?? 5);
if (!(ROUNDS >= 1 && ROUNDS <= 20)) throw new Error(`BENCH_BUILD_ROUNDS must be 1..20, not ${process.env.BENCH_BUILD_ROUNDS}`);
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const TIMEOUT_MS = 120_000;

const work = await mkdtemp(join(tmpdir(), `shimkit-bench-build-${process.pid}-`));
const registry = await startRegistry();
const buildahStorage = ['--root', join(work, 'buildah', 'root'), '--runroot', join(work, 'buildah', 'runroot'), '--storage-driver', 'overlay'];
try {
  const images = await pushTestImages({ host: registry.host });
  const context = join(work, 'context');
  await mkdir(context);
  await writeFile(join(context, 'Containerfile'), `FROM ${images.busybox.reference}
ENV APP_HOME=/srv/app
RUN mkdir -p $APP_HOME && echo built > $APP_HOME/built
COPY app.txt $APP_HOME/
WORKDIR $APP_HOME
CMD ["cat", "app.txt"]
`);
  let edits = 0;
  const editInput = () => writeFile(join(context, 'app.txt'), `input ${++edits}\n`);
  await editInput();

  const TOOLS = {
    shimkit: (extra) => run(process.execPath, [cli, 'build', '--quiet', '--root', join(work, 'shim'), '--runtime-root', join(work, 'shim-runc'), '-t', 'bench/five:v1', ...extra, context], { timeout: TIMEOUT_MS }),
    buildah: (extra) => run('buildah', [...buildahStorage, 'bud', '--quiet', '--layers', '--isolation', 'oci', '--runtime', 'runc', '--tls-verify=false', '-t', 'bench/five:v1', ...extra, context], { timeout: TIMEOUT_MS }),
  };
  // Both pull the base image once, outside the timing.
  for (const tool of Object.keys(TOOLS)) await TOOLS[tool]([]);

  const kinds = {
    cold: (tool) => TOOLS[tool](['--no-cache']),
    cached: (tool) => TOOLS[tool]([]),
    changed: async (tool) => TOOLS[tool]([]),
  };
  const seconds = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['shimkit', 'buildah'] : ['buildah', 'shimkit'];
    for (const tool of order) {
      for (const [kind, build] of Object.entries(kinds)) {
        // The changed build sees a new COPY input; the others the one before it.
        if (kind === 'changed') await editInput();
        const t0 = performance.now();
        await build(tool);
        const s = (performance.now() - t0) / 1000;
        ((seconds[kind] ??= {})[tool] ??= []).push(s);
        console.log(`round ${round + 1}/${ROUNDS} ${tool} ${kind}: ${s.toFixed(3)} s`);
      }
    }
  }
  const rows = [['build', 'shimkit s', 'buildah s', 'ratio']];
  for (const [kind, byTool] of Object.entries(seconds)) {
    const a = median(byTool.shimkit);
    const b = median(byTool.buildah);
    rows.push([kind, a.toFixed(3), b.toFixed(3), (a / b).toFixed(2)]);
  }
  console.log(`\nfive-step build, medians of ${ROUNDS} (ratio: shimkit / buildah bud --layers, lower is better)\n`);
  console.log(table(rows));
} finally {
  await registry.close();
  await run('buildah', [...buildahStorage, 'rm', '--all']).catch(() => undefined);
  await run('umount', ['-R', join(work, 'buildah', 'root', 'overlay')]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
