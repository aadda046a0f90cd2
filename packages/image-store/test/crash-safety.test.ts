import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image-store.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';

let registry: FakeRegistry;
let root: string;
beforeEach(async () => {
  registry = await new FakeRegistry().start();
  root = mkdtempSync(join(tmpdir(), `shimkit-crash-${process.pid}-`));
});
afterEach(async () => {
  await registry.close();
  rmSync(root, { recursive: true, force: true });
});

const INTERRUPTED_PULL = fileURLToPath(new URL('./interrupted-pull.test-helper.ts', import.meta.url));

describe('crash safety', () => {
  it.each([false, true])('a pull killed midway leaves a store the next pull completes (keepLayerBlobs %s)', async (keepLayerBlobs) => {
    const big = randomBytes(3 << 20);
    const img = addTestImage(registry, 'app', 'v1', [
      { entries: [{ path: 'small', type: 'file', data: 'x' }] },
      { entries: [{ path: 'big', type: 'file', data: big }] },
    ]);
    const slow = img.layers[1]!;
    // Serve the big layer slowly, so the child is killed in the middle of it.
    registry.faults.push(...Array.from({ length: 10 }, () => (req: IncomingMessage, res: ServerResponse, url: URL) => {
      if (!url.pathname.endsWith(slow.digest)) return false;
      const blob = registry.blobs.get(slow.digest)!;
      res.writeHead(200, { 'content-length': blob.length });
      let offset = 0;
      const timer = setInterval(() => {
        if (offset >= blob.length || res.destroyed) return clearInterval(timer);
        res.write(blob.subarray(offset, offset + 65536));
        offset += 65536;
      }, 20);
      req.on('close', () => clearInterval(timer));
      return true;
    }));
    const child = spawn(process.execPath, ['--import', 'tsx', INTERRUPTED_PULL, root, `${registry.host}/app:v1`, String(keepLayerBlobs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const said = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)));
    });
    expect(said).toBe('midway\n');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    registry.faults.length = 0;
    const store = await ImageStore.open({ root, keepLayerBlobs });
    expect(store.list()).toEqual([]);
    expect(readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    const image = await store.pull(`${registry.host}/app:v1`);
    for (const blob of await store.content.list()) expect(await store.content.verify(blob.digest), blob.digest).toBe(true);
    expect((await store.snapshots.list()).sort()).toEqual([...image.chainIds].sort());
    await store.close();
  });
});
