// The floor under any runc-based runtime: bare `runc create; start; kill; delete` of a busybox
// bundle, timed inside one long-lived bash with $EPOCHREALTIME (no fork for the clock), as
// the runc-driver bench does, so its lifecycles can interleave with the CRI ones.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createBusyboxRootfs } from '@shimkit/test-bed';
import { sh } from './host.mjs';

export class RuncReference {
  #bash;
  #replies;
  #root;
  #n = 0;

  /** Builds the bundle under `dir`, its cgroups under `/<cgroupParent>/ref`. */
  static async start(dir, cgroupParent) {
    const ref = new RuncReference();
    const rootfs = join(dir, 'rootfs');
    const bundle = join(dir, 'bundle');
    ref.#root = join(dir, 'runc-root');
    await createBusyboxRootfs(rootfs);
    await mkdir(bundle, { recursive: true });
    const made = await sh('runc', ['spec', '--bundle', bundle]);
    if (!made.ok) throw new Error(`runc spec failed: ${made.error?.message}`);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['sleep', '60'];
    spec.root = { path: rootfs, readonly: true };
    spec.linux.cgroupsPath = `/${cgroupParent}/ref`;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const r = ref.#root;
    const loop = `
      while read -r id; do
        t0=$EPOCHREALTIME
        runc --root ${r} create --bundle ${bundle} $id </dev/null >/dev/null 2>&1 || { echo fail; continue; }
        t1=$EPOCHREALTIME
        runc --root ${r} start $id
        t2=$EPOCHREALTIME
        runc --root ${r} kill $id 9
        t3=$EPOCHREALTIME
        runc --root ${r} delete --force $id
        t4=$EPOCHREALTIME
        echo "$t0 $t1 $t2 $t3 $t4"
      done`;
    ref.#bash = spawn('bash', ['-c', loop], { stdio: ['pipe', 'pipe', 'ignore'] });
    ref.#replies = createInterface({ input: ref.#bash.stdout })[Symbol.asyncIterator]();
    return ref;
  }

  /** One create+start+kill+delete; wall times in ms: { total, create, start, kill, delete }. */
  async lifecycle() {
    this.#bash.stdin.write(`ref-${process.pid}-${this.#n++}\n`);
    const { value } = await this.#replies.next();
    const t = String(value).split(' ').map(Number);
    if (t.length !== 5 || !t.every(Number.isFinite)) throw new Error(`runc lifecycle failed: ${value}`);
    const ms = (i) => (t[i + 1] - t[i]) * 1000;
    return { total: (t[4] - t[0]) * 1000, create: ms(0), start: ms(1), kill: ms(2), delete: ms(3) };
  }

  async close() {
    if (this.#bash && this.#bash.exitCode === null) {
      this.#bash.stdin.end();
      await new Promise((r) => this.#bash.once('exit', r));
    }
    if (!this.#root || !(await readdir(this.#root).then(() => true, () => false))) return;
    for (const id of (await sh('runc', ['--root', this.#root, 'list', '-q'])).stdout.split('\n').filter(Boolean)) {
      await sh('runc', ['--root', this.#root, 'delete', '--force', id]);
    }
  }
}
