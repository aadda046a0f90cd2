// The images of the CRI pull benchmark, built offline with shimkit's own image builder and
// pushed to the local registry: busybox alone (one small layer), and a five-layer image of
// ~190 MB (busybox; random files of 8 MiB; random files of 1 MiB; random plus base64 text;
// repetitive log lines plus thousands of 4 KiB files) mixing incompressible data, text and
// many small files; and that image again with zstd layers.
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { ImageStore } from '@shimkit/image-store';
import { createBusyboxRootfs } from '@shimkit/test-bed';

const MiB = 1 << 20;

async function files(dir, count, bytes, content = () => randomBytes(bytes)) {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(dir, `f${i}`), content(i));
}

/** `bytes` of repetitive log lines (the large image's compressible layer). */
export function logLines(bytes, seed) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2026-12-07T10:${String(i % 60).padStart(2, '0')}:00Z INFO worker-${seed} request ${i} served in ${i % 97} ms path=/api/v1/items/${i % 1000}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

/** What each layer of the large image holds, written below `dir`. */
const LARGE_LAYERS = [
  (dir) => createBusyboxRootfs(dir),
  (dir) => files(join(dir, 'data/big'), 6, 8 * MiB),
  (dir) => files(join(dir, 'data/mid'), 40, MiB),
  async (dir) => {
    await files(join(dir, 'data/mixed'), 1, 32 * MiB);
    await writeFile(join(dir, 'data/mixed/text.b64'), randomBytes(12 * MiB).toString('base64'));
  },
  async (dir) => {
    await files(join(dir, 'data/logs'), 4, 0, (i) => logLines(10 * MiB, i));
    for (let d = 0; d < 20; d++) await files(join(dir, `data/small/d${d}`), 100, 4096);
  },
];

const run = promisify(execFile);

/** Writes `bytes` as a blob of the OCI layout at `dir`; returns its descriptor fields. */
async function writeBlob(dir, bytes) {
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(dir, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Pushes `image` (in `store`) as `destination` with every layer recompressed by the zstd
 * program: exported as an OCI layout, layers and manifest rewritten there, copied to the
 * registry by skopeo (which keeps blobs as they are). Returns the compressed size.
 */
async function pushAsZstd(store, image, destination, dir) {
  await store.exportLayout([image], dir);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const blob = (digest) => readFile(join(dir, 'blobs', ...digest.split(':')));
  const manifest = JSON.parse(await blob(index.manifests[0].digest));
  for (const layer of manifest.layers) {
    const zst = execFileSync('zstd', ['-q', '-c', '-3'], { input: gunzipSync(await blob(layer.digest)), maxBuffer: 1 << 30 });
    Object.assign(layer, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }, await writeBlob(dir, zst));
  }
  index.manifests = [{ ...index.manifests[0], ...(await writeBlob(dir, Buffer.from(JSON.stringify(manifest)))) }];
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await run('skopeo', ['copy', '--quiet', '--insecure-policy', '--dest-tls-verify=false', `oci:${dir}`, `docker://${destination}`]);
  return manifest.layers.reduce((n, l) => n + l.size, 0);
}

/**
 * Builds and pushes the images into `registry` (a test-bed registry), working in `work`.
 * Returns their references and compressed sizes.
 */
export async function pushPullImages(registry, work) {
  const store = await ImageStore.open({ root: join(work, 'builder') });
  try {
    const small = `${registry.host}/bench/busybox:pull`;
    const large = `${registry.host}/bench/layers:pull`;
    for (const [ref, layers] of [[small, LARGE_LAYERS.slice(0, 1)], [large, LARGE_LAYERS]]) {
      const builder = store.builder({ platform: { architecture: 'amd64', os: 'linux' } });
      builder.configure({ cmd: ['sh'] });
      for (const [i, make] of layers.entries()) {
        const tree = join(work, `tree-${i}`);
        await make(tree);
        builder.addDirectory(tree);
        await builder.commit(ref);
        await rm(tree, { recursive: true, force: true });
      }
      await store.push(ref, ref);
    }
    const zstd = `${registry.host}/bench/layers:zstd`;
    const zstdBytes = await pushAsZstd(store, large, zstd, join(work, 'zstd-layout'));
    const size = (ref) => store.get(ref).size;
    return {
      small: { ref: small, bytes: size(small) },
      large: { ref: large, bytes: size(large) },
      'large zstd': { ref: zstd, bytes: zstdBytes },
    };
  } finally {
    await store.close();
    await rm(join(work, 'builder'), { recursive: true, force: true });
  }
}
