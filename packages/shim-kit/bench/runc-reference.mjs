// The floor under any runc-based runtime: bare `runc create; start; kill; delete` of a busybox
// bundle (test-bed's RuncLifecycleLoop, one long-lived bash timing itself), so its lifecycles
// can interleave with the CRI ones.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RuncLifecycleLoop } from '@shimkit/test-bed';
import { sh } from './host.mjs';

export class RuncReference {
  #loop;
  #root;
  #n = 0;

  /** Builds the bundle under `dir`, its cgroups under `/<cgroupParent>/ref`. */
  static async start(dir, cgroupParent) {
    const ref = new RuncReference();
    ref.#root = join(dir, 'runc-root');
    ref.#loop = await RuncLifecycleLoop.start({ dir, root: ref.#root, cgroupsPath: `/${cgroupParent}/ref` });
    return ref;
  }

  /** One create+start+kill+delete; wall times in ms: { total, create, start, kill, delete }. */
  lifecycle() {
    return this.#loop.lifecycle(`ref-${process.pid}-${this.#n++}`);
  }

  async close() {
    await this.#loop?.close();
    if (!this.#root || !(await readdir(this.#root).then(() => true, () => false))) return;
    for (const id of (await sh('runc', ['--root', this.#root, 'list', '-q'])).stdout.split('\n').filter(Boolean)) {
      await sh('runc', ['--root', this.#root, 'delete', '--force', id]);
    }
  }
}
