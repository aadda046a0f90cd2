import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killProcessTree, processTree } from './process-tree.js';

/** Running (not gone, not a zombie waiting for its reaper). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

describe('processTree / killProcessTree', () => {
  it('finds and kills a process and its children', async () => {
    const child = spawn(fileURLToPath(new URL('../test/two-sleepers', import.meta.url)), { stdio: 'ignore' });
    const pid = child.pid as number;
    const exited = new Promise((r) => child.once('exit', r));
    let tree: number[] = [];
    for (let i = 0; i < 100 && tree.length < 3; i++) {
      tree = await processTree(pid);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(tree[0]).toBe(pid);
    expect(tree.length).toBe(3);
    await killProcessTree(pid);
    await exited;
    for (const p of tree.slice(1)) expect(await alive(p)).toBe(false);
    expect(await processTree(pid)).toEqual([]);
  });
});
