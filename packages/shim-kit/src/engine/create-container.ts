import { mkdirSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { ImageRecord, ImageStore, PullProgress } from '@shimkit/image-store';
import { ShimError } from '../errors.js';
import type { PodPortMapping } from '../interfaces/pod-network.js';
import { newId } from '../lifecycle/new-id.js';
import { writeBundle } from '../modules/runc/bundle.js';
import { containerName, isValidName } from './container-name.js';
import type { EngineContainer, NetworkMode } from './engine-container.js';
import { normalizeImage, pullFailure } from './engine-image-ref.js';
import type { EngineParts } from './engine-parts.js';
import { engineSpec } from './engine-spec.js';
import { writeEtcFiles } from './etc-files.js';
import { markPhase } from './phase-marks.js';
import { userEntries } from './user-entries.js';
import type { VolumeMount } from './volume-mount.js';

/** Options of {@link ContainerEngine.create}: podman's `run`/`create` flags. */
export interface CreateContainerRequest {
  image: string;
  /** Replaces the image's Cmd. */
  command?: readonly string[];
  entrypoint?: readonly string[];
  name?: string;
  env?: readonly string[];
  volumes?: readonly VolumeMount[];
  ports?: readonly PodPortMapping[];
  network?: NetworkMode;
  user?: string;
  workdir?: string;
  readOnly?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  memoryBytes?: number;
  cpus?: { quota: number; period: number };
  tty?: boolean;
  interactive?: boolean;
  autoRemove?: boolean;
  /** Called while an image that is not there is pulled. */
  onPull?: (image: string, progress?: PullProgress) => void;
  signal?: AbortSignal;
}

/**
 * Creates a container (pulling its image if missing): rootfs, network, bundle, record. Runs
 * under the engine's lock. Nothing is left behind when it fails. `durable: false`: the rootfs record is not
 * fsynced, for a container this process removes when it ends.
 */
export async function createContainer(parts: EngineParts, request: CreateContainerRequest, options: { durable?: boolean } = {}): Promise<EngineContainer> {
  const { signal } = request;
  const name = request.name ?? containerName();
  const network = request.network ?? 'bridge';
  const ports = [...(request.ports ?? [])];
  await checkRequest(parts, request, name, network);
  markPhase('request checked');
  const store = await parts.openStore();
  const image = await imageFor(store, request);
  markPhase('image store opened');
  const id = newId();
  const bundle = parts.layout.bundle(id);
  const undo: (() => Promise<unknown>)[] = [];
  try {
    // the rootfs and the network need nothing of each other
    const [mounted, joined] = await Promise.allSettled([
      store.createRootfs(id, image.id, { ...(signal ? { signal } : {}), ...(options.durable === false ? { durable: false } : {}) }),
      network === 'bridge' ? parts.network.attach(id, name, ports, signal) : undefined,
    ]);
    if (mounted.status === 'fulfilled') undo.push(() => store.removeRootfs(id));
    const attached = joined.status === 'fulfilled' ? joined.value : undefined;
    if (attached) undo.push(() => parts.network.detach(id, name, ports, attached.netnsPath));
    if (mounted.status === 'rejected') throw mounted.reason;
    if (joined.status === 'rejected') throw joined.reason;
    const rootfs = mounted.value;
    markPhase(network === 'bridge' ? 'rootfs mounted, network attached' : 'rootfs mounted');
    mkdirSync(bundle, { recursive: true, mode: 0o700 });
    undo.push(() => rm(bundle, { recursive: true, force: true }));
    const hostname = id.slice(0, 12);
    const etcFiles = { ...(await writeEtcFiles(bundle, { hostname, network, ips: attached?.ips ?? [] })), ...(await userEntries(rootfs.path, bundle, request.user)) };
    const spec = await engineSpec({
      id,
      image: image.config,
      rootfs: rootfs.path,
      ...(request.entrypoint ? { entrypoint: request.entrypoint } : {}),
      ...(request.command ? { command: request.command } : {}),
      ...(request.env ? { env: request.env } : {}),
      ...(request.workdir ? { workdir: request.workdir } : {}),
      ...(request.user ? { user: request.user } : {}),
      tty: request.tty ?? false,
      readOnly: request.readOnly ?? false,
      ...(request.capAdd ? { capAdd: request.capAdd } : {}),
      ...(request.capDrop ? { capDrop: request.capDrop } : {}),
      ...(request.memoryBytes ? { memoryBytes: request.memoryBytes } : {}),
      ...(request.cpus ? { cpus: request.cpus } : {}),
      ...(request.volumes ? { volumes: request.volumes } : {}),
      network,
      ...(attached ? { netnsPath: attached.netnsPath } : {}),
      hostname,
      etcFiles,
      cgroupsPath: `${parts.cgroupParent}/${id}`,
    });
    writeBundle(bundle, spec, rootfs.path);
    markPhase('spec and bundle written');
    const record: EngineContainer = {
      id,
      name,
      image: request.image,
      imageName: image.repoTags[0] ?? image.id,
      imageId: image.id,
      command: spec.process?.args ?? [],
      createdAt: new Date().toISOString(),
      tty: request.tty ?? false,
      interactive: request.interactive ?? false,
      autoRemove: request.autoRemove ?? false,
      network,
      ports,
      volumes: [...(request.volumes ?? [])],
      ips: attached?.ips ?? [],
      ...(attached ? { netnsPath: attached.netnsPath } : {}),
      stopSignal: image.config.config?.StopSignal ?? 'SIGTERM',
    };
    undo.push(() => parts.records.remove(id));
    await parts.records.write(record);
    markPhase('record written');
    return record;
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}

/** The checks that need no image: a free valid name, ports only on the bridge, volume sources that exist. */
async function checkRequest(parts: EngineParts, request: CreateContainerRequest, name: string, network: NetworkMode): Promise<void> {
  if (!isValidName(name)) throw new ShimError('InvalidArgument', `container name ${JSON.stringify(name)} is not valid: use letters, digits, "_", "." and "-", starting with a letter or digit`);
  const existing = await parts.records.list();
  if (existing.some((c) => c.name === name)) throw new ShimError('AlreadyExists', `the container name "${name}" is already in use; remove that container or pick another name`);
  if ((request.ports ?? []).length > 0 && network !== 'bridge') throw new ShimError('InvalidArgument', `port mappings (-p) need the bridge network, not --network ${network}`);
  for (const v of request.volumes ?? []) {
    const found = await stat(v.source).catch(() => undefined);
    if (found === undefined) throw new ShimError('InvalidArgument', `volume host path ${v.source} does not exist`);
  }
}

/** The request's image from the store, pulled first when it is not there. */
async function imageFor(store: ImageStore, request: CreateContainerRequest): Promise<ImageRecord> {
  const image = store.get(request.image);
  if (image !== undefined) return image;
  const full = normalizeImage(request.image);
  request.onPull?.(full);
  try {
    return await store.pull(full, { ...(request.signal ? { signal: request.signal } : {}), ...(request.onPull ? { onProgress: (p: PullProgress) => request.onPull?.(full, p) } : {}) });
  } catch (e) {
    throw pullFailure(request.image, e);
  }
}
