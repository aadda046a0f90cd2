import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { TarWriteEntry } from '../src/tar/tar-writer.js';
import { buildTar } from '../src/tar/tar-writer.js';
import type { FakeRegistry } from './fake-registry.js';
import { sha256 } from './fake-registry.js';

export interface TestLayer {
  entries: TarWriteEntry[];
  compression?: 'gzip' | 'zstd' | 'none';
  /** Corrupt the diff id recorded in the config. */
  wrongDiffId?: boolean;
  /** Changes the compressed blob before it is pushed (its digest is that of the changed blob). */
  damage?: (blob: Buffer) => Buffer;
}

const LAYER_TYPES = { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd', none: 'application/vnd.oci.image.layer.v1.tar' };

/** Pushes an OCI image made of the given layers into a fake registry; returns the manifest descriptor. */
export function addTestImage(registry: FakeRegistry, repo: string, tag: string | undefined, layers: TestLayer[], platform = { architecture: 'amd64', os: 'linux' }) {
  const descs = layers.map((l) => {
    const tar = buildTar(l.entries);
    const compression = l.compression ?? 'gzip';
    const compressed = compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? execFileSync('zstd', ['-q', '-c', '--check'], { input: tar }) : tar;
    const blob = l.damage?.(compressed) ?? compressed;
    return { desc: { mediaType: LAYER_TYPES[compression], ...registry.addBlob(blob) }, diffId: l.wrongDiffId ? sha256('not the layer') : sha256(tar) };
  });
  const config = registry.addBlob(JSON.stringify({ ...platform, config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: descs.map((d) => d.diffId) } }));
  const manifest = registry.addManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: descs.map((d) => d.desc),
  }, 'application/vnd.oci.image.manifest.v1+json');
  return { manifest, config, layers: descs.map((d) => d.desc) };
}
