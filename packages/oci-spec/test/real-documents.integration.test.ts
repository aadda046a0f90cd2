// Real documents from real producers validate clean: manifests, configs and indexes as
// docker-registry 2.8 serves them (pushed by umoci + skopeo, or PUT here through the
// distribution API), and the config.json files containerd 1.6's CRI plugin writes for a
// pod sandbox and a container.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import {
  connect,
  ContainerState,
  NamespaceMode,
  SecurityProfile_ProfileType,
  type CriClient,
  type DeepPartial,
  type PodSandboxConfig,
} from '@shimkit/cri-types';
import { isClean, leftovers, PAUSE_SCRIPT, startTestBed, type TestBed } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDigester,
  createDigestVerifier,
  digestOf,
  hostPlatform,
  MediaType,
  parseDigest,
  parseImageConfig,
  parseImageIndex,
  parseManifest,
  parseRuntimeSpec,
  selectManifest,
  validateImageConfig,
  validateImageIndex,
  validateManifest,
  validateRuntimeSpec,
  type Descriptor,
  type Digest,
  type ImageIndex,
  type Manifest,
  type Platform,
  type ValidationIssue,
} from '../src/index.js';

const ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

let bed: TestBed;
let cri: CriClient | undefined;

beforeAll(async () => {
  bed = await startTestBed();
});

afterAll(async () => {
  await cri?.close();
  await bed?.close();
});

interface Fetched {
  bytes: Buffer;
  contentType: string;
  /** The registry's Docker-Content-Digest header. */
  digest: string;
}

function registryUrl(path: string): string {
  return `${bed.registry.url}/v2/${path}`;
}

async function expectOk(response: Response, what: string, status: number): Promise<void> {
  if (response.status !== status) {
    throw new Error(`${what}: HTTP ${response.status}, expected ${status}: ${await response.text()}`);
  }
}

async function getManifest(repository: string, reference: string): Promise<Fetched> {
  const response = await fetch(registryUrl(`${repository}/manifests/${reference}`), { headers: { accept: ACCEPT } });
  await expectOk(response, `GET manifest ${repository}:${reference}`, 200);
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type') ?? '',
    digest: response.headers.get('docker-content-digest') ?? '',
  };
}

async function getBlob(repository: string, digest: string): Promise<Buffer> {
  const response = await fetch(registryUrl(`${repository}/blobs/${digest}`));
  await expectOk(response, `GET blob ${digest}`, 200);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(response.headers.get('docker-content-digest')).toBe(digestOf(bytes));
  return bytes;
}

/** Monolithic upload: POST for an upload session, then one PUT with the content and its digest. */
async function putBlob(repository: string, bytes: Buffer): Promise<Descriptor['digest']> {
  const started = await fetch(registryUrl(`${repository}/blobs/uploads/`), { method: 'POST' });
  await expectOk(started, `POST upload to ${repository}`, 202);
  const location = new URL(started.headers.get('location') ?? '', bed.registry.url);
  const digest = digestOf(bytes);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  await expectOk(put, `PUT blob ${digest}`, 201);
  return digest;
}

async function putManifest(repository: string, reference: string, mediaType: string, body: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(body));
  const response = await fetch(registryUrl(`${repository}/manifests/${reference}`), {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  await expectOk(response, `PUT manifest ${repository}:${reference}`, 201);
  const digest = digestOf(bytes);
  expect(response.headers.get('docker-content-digest')).toBe(digest);
  return { mediaType: mediaType as MediaType, digest, size: bytes.byteLength };
}

/** Streams a layer through the digest verifier, and its gunzipped content through a digester: the diff id. */
async function verifyLayer(repository: string, layer: Descriptor): Promise<Digest> {
  const response = await fetch(registryUrl(`${repository}/blobs/${layer.digest}`));
  await expectOk(response, `GET layer ${layer.digest}`, 200);
  expect(response.headers.get('docker-content-digest')).toBe(layer.digest);
  const uncompressed = createDigester();
  await pipeline(
    Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
    createDigestVerifier(layer.digest, { size: layer.size }),
    createGunzip(),
    uncompressed,
    new Writable({ write: (_chunk, _encoding, done) => done() }),
  );
  return uncompressed.digest();
}

/** `path rule level` of each issue, for exact comparisons. */
function summary(issues: ValidationIssue[]): string[] {
  return issues.map((i) => `${i.path} ${i.rule} ${i.level}`);
}

/**
 * umoci 0.4 writes OCI manifests without `mediaType` (image-spec 1.0.0 only reserved the field;
 * 1.0.2 and later say it SHOULD be set), and skopeo copies them byte for byte. Docker schema2
 * requires the field, so Docker manifests have no issue at all.
 */
const NO_MEDIA_TYPE = ['/mediaType media-type-missing SHOULD'];

/** Fetches an image manifest and its config, checks digests both ways, and validates both documents. */
async function checkImage(
  repository: string,
  reference: string,
  expected: { manifest: string; config: string; layer: string; issues: string[] },
): Promise<{ manifest: Manifest; descriptor: Descriptor; config: Record<string, unknown> }> {
  const fetched = await getManifest(repository, reference);
  expect(fetched.contentType).toBe(expected.manifest);
  expect(parseDigest(fetched.digest)).toBe(digestOf(fetched.bytes));
  expect(summary(validateManifest(JSON.parse(fetched.bytes.toString('utf8'))))).toEqual(expected.issues);
  const manifest = parseManifest(fetched.bytes);
  expect(manifest.config.mediaType).toBe(expected.config);
  expect(manifest.layers.map((l) => l.mediaType)).toEqual([expected.layer]);

  const configBytes = await getBlob(repository, manifest.config.digest);
  expect(digestOf(configBytes)).toBe(manifest.config.digest);
  expect(configBytes.byteLength).toBe(manifest.config.size);
  const configJson = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
  expect(validateImageConfig(configJson)).toEqual([]);
  const config = parseImageConfig(configBytes);
  const diffIds = await Promise.all(manifest.layers.map((layer) => verifyLayer(repository, layer)));
  expect(config.rootfs).toEqual({ type: 'layers', diff_ids: diffIds });

  const descriptor: Descriptor = { mediaType: expected.manifest as MediaType, digest: digestOf(fetched.bytes), size: fetched.bytes.byteLength };
  return { manifest, descriptor, config: configJson };
}

/** A platform this host can't run, to put in front of the host's entry in an index. */
function foreignPlatform(host: Platform): Platform {
  return host.architecture === 'arm64' ? { os: 'linux', architecture: 'amd64' } : { os: 'linux', architecture: 'arm64', variant: 'v8' };
}

/**
 * Pushes a second platform variant of an image (same layers, a config naming another platform)
 * and an index listing it before the original; fetches the index back and checks it.
 */
async function checkMultiPlatformIndex(
  repository: string,
  image: { manifest: Manifest; descriptor: Descriptor; config: Record<string, unknown> },
  indexMediaType: MediaType,
  manifestIssues: string[],
): Promise<void> {
  const host = hostPlatform();
  const foreign = foreignPlatform(host);
  const foreignConfig = Buffer.from(JSON.stringify({ ...image.config, ...foreign }));
  const configDigest = await putBlob(repository, foreignConfig);
  const foreignBody = { ...image.manifest, config: { ...image.manifest.config, digest: configDigest, size: foreignConfig.byteLength } };
  // Pushed by digest (no tag), as multi-platform pushes do; the index refers to it.
  const foreignManifest = await putManifest(repository, digestOf(JSON.stringify(foreignBody)), image.descriptor.mediaType, foreignBody);

  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: indexMediaType,
    manifests: [
      { ...foreignManifest, platform: foreign },
      // The test images carry the host's busybox-static.
      { ...image.descriptor, platform: host },
    ],
  };
  const pushed = await putManifest(repository, 'multi', indexMediaType, index);

  const fetched = await getManifest(repository, 'multi');
  expect(fetched.contentType).toBe(indexMediaType);
  expect(parseDigest(fetched.digest)).toBe(digestOf(fetched.bytes));
  expect(fetched.digest).toBe(pushed.digest);
  expect(validateImageIndex(JSON.parse(fetched.bytes.toString('utf8')))).toEqual([]);
  const parsed = parseImageIndex(fetched.bytes);
  expect(parsed.manifests).toEqual(index.manifests);

  expect(selectManifest(parsed, host).digest).toBe(image.descriptor.digest);
  expect(selectManifest(parsed, foreign).digest).toBe(foreignManifest.digest);
  // Every entry resolves to a manifest whose bytes match its descriptor.
  for (const entry of parsed.manifests) {
    const child = await getManifest(repository, entry.digest);
    expect(digestOf(child.bytes)).toBe(entry.digest);
    expect(child.bytes.byteLength).toBe(entry.size);
    expect(summary(validateManifest(JSON.parse(child.bytes.toString('utf8'))))).toEqual(manifestIssues);
  }
}

describe('documents from the local registry', () => {
  it('the OCI manifests and configs skopeo pushed validate clean and match their digests', async () => {
    for (const image of [bed.images.busybox, bed.images.pause]) {
      const repository = image.repository.slice(bed.registry.host.length + 1);
      const { descriptor, manifest } = await checkImage(repository, 'latest', {
        manifest: MediaType.OciManifest,
        config: MediaType.OciConfig,
        layer: MediaType.OciLayerGzip,
        issues: NO_MEDIA_TYPE,
      });
      expect(descriptor.digest).toBe(image.digest);
      expect(manifest.config.digest).toBe(image.configDigest);
      expect(manifest.layers.map((l) => l.digest)).toEqual(image.layers);
    }
  });

  it('an OCI index of two platforms validates clean and selects the host platform', async () => {
    const image = await checkImage('busybox', 'latest', {
      manifest: MediaType.OciManifest,
      config: MediaType.OciConfig,
      layer: MediaType.OciLayerGzip,
      issues: NO_MEDIA_TYPE,
    });
    await checkMultiPlatformIndex('busybox', image, MediaType.OciIndex, NO_MEDIA_TYPE);
  });

  it('a Docker schema2 copy and a Docker manifest list validate clean and select the host platform', async () => {
    await promisify(execFile)(
      'skopeo',
      [
        'copy', '--insecure-policy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'v2s2',
        `docker://${bed.images.busybox.reference}`, `docker://${bed.registry.host}/busybox-docker:latest`,
      ],
      { timeout: 20_000 },
    );
    const image = await checkImage('busybox-docker', 'latest', {
      manifest: MediaType.DockerManifest,
      config: MediaType.DockerConfig,
      layer: MediaType.DockerLayerGzip,
      issues: [],
    });
    await checkMultiPlatformIndex('busybox-docker', image, MediaType.DockerManifestList, []);
  });
});

// What kubelet sends for the default proc mount (runtime/v1 defaults in kubelet's securitycontext).
const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

describe("config.json written by containerd's CRI plugin", () => {
  it('the sandbox and a kubelet-like container bundle validate clean', async () => {
    const { containerd, images } = bed;
    cri = await connect(containerd.endpoint, { defaultTimeoutMs: 30_000 });
    await cri.image.pullImage({ image: { image: images.busybox.reference } });
    const podConfig: DeepPartial<PodSandboxConfig> = {
      metadata: { name: 'spec-pod', uid: `uid-${containerd.id}`, namespace: 'shimkit-test' },
      hostname: 'spec-pod',
      logDirectory: join(containerd.dir, 'pod-logs'),
      linux: {
        cgroupParent: containerd.cgroupParent,
        // A net.* sysctl (needs the network namespace) and an IPC one (needs the IPC namespace).
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' },
        securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } },
      },
    };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig });
    const { containerId } = await cri.runtime.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'spec-container' },
        image: { image: images.busybox.reference },
        command: ['sleep', '1000'],
        envs: [{ key: 'GREETING', value: Buffer.from('hi') }],
        logPath: 'spec-container.log',
        linux: {
          resources: { cpuShares: 256n, cpuPeriod: 100_000n, cpuQuota: 50_000n, memoryLimitInBytes: 64n * 1024n * 1024n, oomScoreAdj: 500n },
          securityContext: {
            capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['MKNOD', 'NET_RAW'] },
            runAsUser: { value: 1000n },
            runAsGroup: { value: 1000n },
            supplementalGroups: [2000n],
            noNewPrivs: true,
            maskedPaths: MASKED_PATHS,
            readonlyPaths: READONLY_PATHS,
            seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault },
            namespaceOptions: { pid: NamespaceMode.CONTAINER },
          },
        },
      },
      sandboxConfig: podConfig,
    });
    await cri.runtime.startContainer({ containerId });
    expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);

    const bundleOf = (id: string): string => join(containerd.state, 'io.containerd.runtime.v2.task', 'k8s.io', id);
    const sandboxBundle = bundleOf(podSandboxId);
    const containerBundle = bundleOf(containerId);
    const sandbox = parseRuntimeSpec(await readFile(join(sandboxBundle, 'config.json')));
    const container = parseRuntimeSpec(await readFile(join(containerBundle, 'config.json')));
    // The right documents, carrying what the rules look at.
    expect(sandbox.annotations?.['io.kubernetes.cri.container-type']).toBe('sandbox');
    expect(sandbox.process?.args?.at(-1)).toBe(PAUSE_SCRIPT);
    expect(sandbox.hostname).toBe('spec-pod');
    expect(sandbox.linux?.sysctl).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' });
    expect(container.annotations?.['io.kubernetes.cri.container-type']).toBe('container');
    expect(container.process?.args).toEqual(['sleep', '1000']);
    expect(container.process?.env).toContain('GREETING=hi');
    expect(container.process?.user).toMatchObject({ uid: 1000, gid: 1000 });
    expect(container.process?.capabilities?.bounding).toContain('CAP_NET_ADMIN');
    expect(container.process?.capabilities?.bounding).not.toContain('CAP_MKNOD');
    expect(container.linux?.resources?.memory?.limit).toBe(64 * 1024 * 1024);
    expect(container.linux?.seccomp?.syscalls?.length).toBeGreaterThan(0);
    expect(container.linux?.maskedPaths).toEqual(MASKED_PATHS);

    expect(summary(validateRuntimeSpec(sandbox, { bundle: sandboxBundle }))).toEqual([]);
    expect(summary(validateRuntimeSpec(container, { bundle: containerBundle }))).toEqual([]);
    expect(() => parseRuntimeSpec(sandbox, { strict: true })).not.toThrow();
    expect(() => parseRuntimeSpec(container, { strict: true })).not.toThrow();

    await cri.runtime.stopContainer({ containerId, timeout: 0n });
    await cri.runtime.removeContainer({ containerId });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
  });

  it('leaves nothing behind once everything is closed', async () => {
    await cri?.close();
    await bed.close();
    expect(await leftovers(bed.containerd.id)).toEqual({ processes: [], mounts: [], netns: [], interfaces: [], iptables: [], files: [], cgroups: [] });
    expect(isClean(await leftovers(bed.registry.id))).toBe(true);
  });
});
