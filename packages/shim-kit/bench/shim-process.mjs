// Starts and stops `shimkit serve` as a child process for the benchmarks.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect } from '@shimkit/cri-types';

/**
 * How long the benches leave the shim alone before reading its idle RSS: it compacts its memory
 * 12 s after its last call that is not a read (and image-store's writer threads end after 10 s).
 */
export const SETTLE_MS = 15_000;

/** Waits {@link SETTLE_MS}. */
export const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

/**
 * Starts `shimkit serve` (the package's CLI, default modules) as a child process and waits
 * until its socket answers. With `trace`, every child process it starts is recorded; `nodeArgs`
 * go to node itself (`--cpu-prof`, for one), `env` is added to the shim's environment; `cli` is another build's `dist/cli/main.js` to start instead.
 */
export async function startShim({ socket, root, state, config, trace, nodeArgs = [], env = {}, cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)) }) {
  const preload = new URL('./spawn-trace-preload.mjs', import.meta.url).href;
  const args = [...nodeArgs, ...(trace ? ['--import', preload] : []), cli, 'serve', '--socket', socket, '--root', root, '--state', state, '--config', config, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env, ...(trace ? { SHIMKIT_BENCH_TRACE: trace } : {}) } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.stderrTail = () => stderr;
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`shimkit serve exited ${child.exitCode}: ${stderr}`);
    const probe = await connect(`unix://${socket}`).catch(() => undefined);
    if (probe) {
      await probe.close();
      return child;
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`shimkit serve did not answer on ${socket} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
export async function stopShim(shimChild) {
  if (!shimChild || shimChild.exitCode !== null) return;
  const exited = new Promise((r) => shimChild.once('exit', r));
  shimChild.kill('SIGTERM');
  if ((await Promise.race([exited.then(() => 'ok'), new Promise((r) => setTimeout(r, 10_000, 'late'))])) === 'late') {
    shimChild.kill('SIGKILL');
    await exited;
  }
}
