import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// the command as installed: from the CLI's startup snapshot when the build made one
const BIN = fileURLToPath(new URL('../../bin/shimkit', import.meta.url));

const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } }));
const layer = Buffer.alloc(4 << 20, 7);
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const manifest = Buffer.from(JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
}));

let server: Server;
let host: string;
let dir: string;
let layerStarted!: () => void;
const stalled = new Promise<void>((resolve) => (layerStarted = resolve));

beforeAll(async () => {
  // A registry whose one layer stops flowing after its first 64 KiB: the copy is in the middle of a blob.
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200).end('{}');
    if (url === '/v2/slow/manifests/latest') {
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha(manifest), 'content-length': manifest.length }).end(manifest);
    }
    if (url === `/v2/slow/blobs/${sha(config)}`) return void res.writeHead(200, { 'content-length': config.length }).end(config);
    if (url === `/v2/slow/blobs/${sha(layer)}`) {
      res.writeHead(200, { 'content-length': layer.length });
      res.write(layer.subarray(0, 64 << 10), () => layerStarted());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  dir = await mkdtemp(join(tmpdir(), `shimkit-copy-signal-${process.pid}-`));
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shimkit image copy (the real process)', () => {
  it('stops on SIGINT in the middle of a blob with exit 1, leaving nothing at the destination', async () => {
    const out = join(dir, 'out');
    const child = spawn(BIN, ['image', 'copy', `docker://${host}/slow:latest`, `docker-archive:${out}.tar`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await stalled;
    // Give the CLI a moment to have the partial layer in its staging file.
    await new Promise((r) => setTimeout(r, 200));
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^\.out\.tar\.staging-/)]);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(new RegExp(`^shimkit: copy of docker://${host.replace(/[.]/g, '\\.')}/slow:latest to docker-archive:.*out\\.tar: interrupted \\(got SIGINT\\); nothing was left at the destination\\n$`));
    expect(await readdir(dir)).toEqual([]);
  });
});
