// Builds the test images with umoci and pushes them with skopeo (both from
// Debian). Everything tool-specific stays in this file, so it can switch to
// @shimkit/image-store once that can build and push.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createBusyboxRootfs } from './busybox-rootfs.js';
import { TestBedError, throwIfAborted } from './errors.js';
import { run } from './exec.js';
import { makeInstanceDir, newInstanceId } from './instance-id.js';

/** Where to push: a registry from {@link startRegistry} or any `{ host, auth }`. */
export interface PushTarget {
  /** `host:port` of a plain-HTTP registry. */
  host: string;
  auth?: { username: string; password: string } | undefined;
}

/** One pushed image. */
export interface TestImage {
  /** e.g. `127.0.0.1:5000/busybox:latest`. */
  reference: string;
  /** Repository without the tag, e.g. `127.0.0.1:5000/busybox`. */
  repository: string;
  /** Digest of the pushed manifest. */
  digest: string;
  /** `repository@digest`. */
  canonical: string;
  /** Layer digests, base first. */
  layers: string[];
  /** Digest of the image config blob (containerd's image id). */
  configDigest: string;
}

/** The images {@link pushTestImages} pushed. */
export interface TestImages {
  /** busybox-static with its applets hard-linked; cmd `sh`. */
  busybox: TestImage;
  /** Same layer; waits forever and exits 0 on SIGTERM or SIGINT. */
  pause: TestImage;
}

/** Shell script of the pause image: sleeps in the background so a trapped signal ends `wait`. */
export const PAUSE_SCRIPT = 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done';

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface OciIndex {
  manifests: { digest: string; annotations?: Record<string, string> }[];
}
interface OciManifest {
  config: { digest: string };
  layers: { digest: string }[];
}

async function readLayoutImage(layout: string, tag: string): Promise<{ layers: string[]; configDigest: string }> {
  const blob = (digest: string): string => join(layout, 'blobs', ...digest.split(':'));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) throw new TestBedError('COMMAND_FAILED', `pushTestImages: umoci left no "${tag}" in ${layout}`);
  const manifest = JSON.parse(await readFile(blob(entry.digest), 'utf8')) as OciManifest;
  return { layers: manifest.layers.map((l) => l.digest), configDigest: manifest.config.digest };
}

/**
 * Builds a `busybox` and a `pause` image offline (umoci) from busybox-static and
 * pushes both (skopeo, plain HTTP) as `<host>/busybox:latest` and
 * `<host>/pause:latest`.
 */
export async function pushTestImages(target: PushTarget, options: { signal?: AbortSignal } = {}): Promise<TestImages> {
  const { signal } = options;
  throwIfAborted(signal, 'pushTestImages');
  const work = await makeInstanceDir(newInstanceId(), 'images');
  try {
    const rootfs = join(work, 'rootfs');
    const layout = join(work, 'layout');
    await createBusyboxRootfs(rootfs, { signal });
    const umoci = (...args: string[]): Promise<unknown> => run('umoci', args, { signal });
    await umoci('init', '--layout', layout);
    await umoci('new', '--image', `${layout}:busybox`);
    await umoci('insert', '--image', `${layout}:busybox`, rootfs, '/');
    await umoci(
      'config', '--image', `${layout}:busybox`, '--os', 'linux', '--architecture', 'amd64',
      '--config.env', PATH_ENV, '--config.workingdir', '/', '--config.cmd', 'sh',
    );
    await umoci(
      'config', '--image', `${layout}:busybox`, '--tag', 'pause',
      '--config.cmd', '/bin/sh', '--config.cmd', '-c', '--config.cmd', PAUSE_SCRIPT,
    );
    const push = async (name: 'busybox' | 'pause'): Promise<TestImage> => {
      const repository = `${target.host}/${name}`;
      const reference = `${repository}:latest`;
      const digestFile = join(work, `${name}.digest`);
      const creds = target.auth ? ['--dest-creds', `${target.auth.username}:${target.auth.password}`] : [];
      await run(
        'skopeo',
        ['copy', '--insecure-policy', '--quiet', '--dest-tls-verify=false', ...creds, '--digestfile', digestFile, `oci:${layout}:${name}`, `docker://${reference}`],
        { signal },
      );
      const digest = (await readFile(digestFile, 'utf8')).trim();
      return { reference, repository, digest, canonical: `${repository}@${digest}`, ...(await readLayoutImage(layout, name)) };
    };
    return { busybox: await push('busybox'), pause: await push('pause') };
  } catch (err) {
    if (err instanceof TestBedError) throw err;
    throw new TestBedError('COMMAND_FAILED', `pushTestImages: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
