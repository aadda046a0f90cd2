import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createBusyboxRootfs } from './busybox-rootfs.js';
import { TestBedError } from './errors.js';

const LOOP = fileURLToPath(new URL('../bin/runc-lifecycle-loop', import.meta.url));

/** Wall times of one bare runc lifecycle, in ms. */
export interface RuncLifecycleTimes {
  total: number;
  create: number;
  start: number;
  kill: number;
  delete: number;
}

/**
 * Bare runc lifecycles of a busybox `sleep 60` bundle, run by one long-lived bash
 * (bin/runc-lifecycle-loop): the reference benchmarks compare runtimes with.
 */
export class RuncLifecycleLoop {
  private readonly replies: AsyncIterator<string>;

  private constructor(private readonly loop: ChildProcessByStdio<Writable, Readable, null>) {
    this.replies = createInterface({ input: loop.stdout })[Symbol.asyncIterator]();
  }

  /**
   * Writes the rootfs and bundle under `dir` and starts the loop: runc's state under `root`, the
   * containers' cgroups under `cgroupsPath`. Containers a failed lifecycle leaves are the caller's.
   */
  static async start(opts: { dir: string; root: string; cgroupsPath: string }): Promise<RuncLifecycleLoop> {
    const { dir, root, cgroupsPath } = opts;
    const rootfs = join(dir, 'rootfs');
    const bundle = join(dir, 'bundle');
    await createBusyboxRootfs(rootfs);
    await mkdir(bundle, { recursive: true });
    const made = await new Promise<number | null>((resolve, reject) => {
      spawn('runc', ['spec', '--bundle', bundle], { stdio: 'ignore' }).once('error', reject).once('exit', resolve);
    });
    if (made !== 0) throw new TestBedError('COMMAND_FAILED', `runc spec --bundle ${bundle} exited ${made}`);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['sleep', '60'];
    spec.root = { path: rootfs, readonly: true };
    spec.linux.cgroupsPath = cgroupsPath;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    return new RuncLifecycleLoop(spawn(LOOP, [root, bundle], { stdio: ['pipe', 'pipe', 'ignore'] }));
  }

  /** Runs one create+start+kill+delete of container `id`. */
  async lifecycle(id: string): Promise<RuncLifecycleTimes> {
    this.loop.stdin.write(`${id}\n`);
    const { value } = await this.replies.next();
    const t = String(value).split(' ').map(Number);
    if (t.length !== 5 || !t.every(Number.isFinite)) throw new TestBedError('COMMAND_FAILED', `runc lifecycle of ${id} failed: ${value}`);
    const ms = (i: number) => (t[i + 1]! - t[i]!) * 1000;
    return { total: (t[4]! - t[0]!) * 1000, create: ms(0), start: ms(1), kill: ms(2), delete: ms(3) };
  }

  async close(): Promise<void> {
    if (this.loop.exitCode !== null || this.loop.signalCode !== null) return;
    const exited = new Promise((resolve) => this.loop.once('exit', resolve));
    this.loop.stdin.end();
    await exited;
  }
}
