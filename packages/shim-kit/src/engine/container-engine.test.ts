import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '../modules/runc/sandbox-pins.js';
import { ContainerEngine } from './container-engine.js';
import { createEngineTestBed, type EngineTestBed } from './engine-test-bed.test-helper.js';

let bed: EngineTestBed;
beforeAll(async () => {
  bed = await createEngineTestBed();
});
afterAll(async () => {
  await bed?.close();
});

async function collect(stream: NodeJS.ReadableStream | null | undefined): Promise<string> {
  let text = '';
  for await (const chunk of stream ?? []) text += String(chunk);
  return text;
}

describe('ContainerEngine', () => {
  it('runs a container attached from before it starts, and another instance finds its exit, log and record', async () => {
    const engine = bed.engine();
    const { container, session } = await engine.run({ image: bed.image, command: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 7'], network: 'none', name: 'lib-run' }, { attach: { stdin: false, stdout: true, stderr: true } });
    const [out, err] = await Promise.all([collect(session?.stdout), collect(session?.stderr)]);
    expect([out, err]).toEqual(['to-out\n', 'to-err\n']);
    const other = bed.engine();
    expect(await other.wait('lib-run')).toBe(7);
    expect(await other.inspect(container.id.slice(0, 12))).toMatchObject({ name: 'lib-run', status: 'exited', exitCode: 7 });
    const lines: string[] = [];
    await other.logs('lib-run', (stream, text) => lines.push(`${stream}:${text}`));
    expect(lines).toEqual(['stdout:to-out\n', 'stderr:to-err\n']);
    await other.remove('lib-run');
    await expect(other.inspect('lib-run')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('undoes a create whose network fails: no rootfs mount, record, bundle or namespace is left', async () => {
    const root = join(bed.dir, 'broken-root');
    const runroot = join(bed.dir, 'broken-run');
    await mkdir(join(root, 'engine', 'cni'), { recursive: true });
    await writeFile(join(root, 'engine', 'cni', '10-broken.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'broken', plugins: [{ type: 'no-such-plugin' }] }));
    const engine = new ContainerEngine({ root, runroot, cgroupParent: bed.cgroupParent });
    try {
      await expect(engine.create({ image: bed.image, command: ['true'], network: 'bridge' })).rejects.toThrow(/CNI plugin "no-such-plugin" of network "broken"/);
      expect(await mountsUnder(root)).toEqual([]);
      expect(await readdir(join(root, 'engine', 'containers')).catch(() => [])).toEqual([]);
      expect(await readdir(join(runroot, 'bundles')).catch(() => [])).toEqual([]);
      expect(await readdir(join(runroot, 'netns')).catch(() => [])).toEqual([]);
      // the image it pulled stays; a run without the network works
      const { container } = await engine.run({ image: bed.image, command: ['true'], network: 'none' });
      expect(await engine.wait(container.id)).toBe(0);
      await engine.remove(container.id);
      expect(await mountsUnder(root)).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('refuses to start a container whose bundle went with the run dir, naming what to do', async () => {
    const engine = bed.engine();
    const created = await engine.create({ image: bed.image, command: ['true'], network: 'none' });
    const { rm } = await import('node:fs/promises');
    await rm(engine.layout.bundle(created.id), { recursive: true });
    await expect(engine.start(created.id)).rejects.toThrow(/has no bundle .* remove it and run it again/);
    await engine.remove(created.id);
    expect((await bed.leftovers()).records).toEqual([]);
  });
});
