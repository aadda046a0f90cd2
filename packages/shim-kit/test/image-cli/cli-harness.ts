import { connect } from '@shimkit/cri-types';
import type { RegistryClient } from '@shimkit/image-store';
import { MediaType } from '@shimkit/oci-spec';
import type { TestImages } from '@shimkit/test-bed';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

/** Runs `shimkit <args>` in-process, capturing its output. */
export async function shimkit(args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, out, err };
}

/** A CRI client of {@link withShimkitServe}. */
export type CriClient = Awaited<ReturnType<typeof connect>>;

/**
 * Runs `shimkit serve` in-process on `socket` with `root`, `state` and the config file `config`,
 * gives `use` a CRI client of it, then stops it with SIGTERM and expects exit code 0.
 */
export async function withShimkitServe(dirs: { socket: string; root: string; state: string; config: string }, use: (cri: CriClient) => Promise<void>): Promise<void> {
  let stop!: (name: string) => void;
  const signalled = new Promise<string>((r) => (stop = r));
  let serveErr = '';
  const serving = runCli(['serve', '--socket', dirs.socket, '--root', dirs.root, '--state', dirs.state, '--config', dirs.config, '--log-level', 'info'], {
    stdout: () => undefined,
    stderr: (t) => void (serveErr += t),
    waitForSignal: () => signalled,
  });
  try {
    for (let i = 0; i < 200 && !serveErr.includes('shimkit serving'); i++) await new Promise((r) => setTimeout(r, 25));
    const cri = await connect(`unix://${dirs.socket}`);
    try {
      await use(cri);
    } finally {
      await cri.close();
    }
  } finally {
    stop('SIGTERM');
    expect(await serving).toBe(0);
  }
}

/**
 * Pushes `<host>/multi:latest`, an OCI index of the busybox image as
 * linux/amd64 and the pause image labelled linux/arm64 (same binaries: enough to tell platforms apart).
 */
export async function pushIndex(client: RegistryClient, host: string, images: TestImages): Promise<{ reference: string; digest: string }> {
  const manifests = [];
  for (const [image, architecture] of [[images.busybox, 'amd64'], [images.pause, 'arm64']] as const) {
    const m = await client.getManifest(image.reference);
    manifests.push({ mediaType: m.descriptor.mediaType, digest: m.descriptor.digest, size: m.descriptor.size, platform: { os: 'linux', architecture } });
  }
  // Children must be in the repository the index is pushed to.
  for (const image of [images.busybox, images.pause]) {
    const m = await client.getManifest(image.reference);
    const doc = m.document.kind === 'manifest' ? m.document.manifest : undefined;
    for (const blob of [doc!.config, ...doc!.layers]) await client.pushBlob(`${host}/multi`, blob, () => client.blob(image.reference, blob), { mountFrom: image.repository.slice(host.length + 1) });
    await client.pushManifest(`${host}/multi`, m.bytes, m.descriptor.mediaType, { tag: m.descriptor.digest });
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  const digest = await client.pushManifest(`${host}/multi:latest`, bytes, MediaType.OciIndex);
  return { reference: `${host}/multi:latest`, digest };
}
