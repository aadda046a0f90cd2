import { isAbsolute, join } from 'node:path';
import { ContainerEventType, type CreateContainerRequest, type CreateContainerResponse } from '@shimkit/cri-types';
import { containerSpec } from '../spec/container-spec.js';
import { stopSignalOf } from '../lifecycle/stop-signal.js';
import { ShimError } from '../errors.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { ShimHandler } from './handler.js';
import { findSandbox, names, newId, publishContainerEvent, required, requiredString } from './support.js';

/**
 * CreateContainer: resolves the image, prepares a root filesystem, builds and validates the
 * OCI spec, creates the container through the backend and stores it before answering.
 */
export const createContainer: ShimHandler<CreateContainerRequest, CreateContainerResponse> = async (shim, request, ctx) => {
  const sandbox = findSandbox(shim, request.podSandboxId);
  const config = required(request.config, 'config');
  const metadata = required(config.metadata, 'config.metadata');
  requiredString(metadata.name, 'config.metadata.name');
  const imageName = requiredString(required(config.image, 'config.image').image, 'config.image.image');
  if (sandbox.state !== 'ready') throw new ShimError('FailedPrecondition', `pod sandbox "${sandbox.id}" is not ready`);
  const id = newId();
  const name = names.containerName(metadata, required(sandbox.config.metadata, 'sandbox metadata'));
  shim.containers.reserveName(name, id);
  try {
    const image = await shim.images.status(imageName, { signal: ctx.signal });
    if (image === undefined) throw new ShimError('NotFound', `image "${imageName}" not found; pull it first`);
    const logDir = sandbox.config.logDirectory;
    const logPath = config.logPath === '' ? '' : isAbsolute(config.logPath) || logDir === '' ? config.logPath : join(logDir, config.logPath);
    // The spec is built while the rootfs is mounted; a rootfs that was made is released on any failure.
    const preparing = shim.images.prepareRootfs(id, image.id, { signal: ctx.signal });
    const rootfsPath = preparing.then((r) => r.path);
    rootfsPath.catch(() => undefined); // a failed preparation is thrown by containerSpec or seen below
    try {
      const info = await shim.runtime.info({ signal: ctx.signal });
      const spec = await containerSpec({
        id,
        sandbox,
        config,
        image,
        rootfs: rootfsPath,
        oom: { restrict: shim.config.restrictOomScoreAdj, floor: shim.config.ownOomScoreAdj },
        cgroupDriver: info.cgroupDriver,
        signal: ctx.signal,
      });
      const rootfs = await preparing;
      const record: ContainerRecord = {
        id,
        name,
        sandboxId: sandbox.id,
        state: 'created',
        createdAt: shim.clock.nowNs(),
        startedAt: 0n,
        finishedAt: 0n,
        exitCode: 0,
        reason: '',
        message: '',
        imageName,
        imageId: image.id,
        logPath,
        rootfs: rootfs.path,
        stopSignal: stopSignalOf(config, image),
        ...(spec.process?.user === undefined ? {} : { user: { uid: spec.process.user.uid, gid: spec.process.user.gid, additionalGids: spec.process.user.additionalGids ?? [] } }),
        config,
      };
      // The two writes are independent (after a crash, a record whose container the runtime
      // does not know is reconciled as exited), so they run together.
      const [created, stored] = await Promise.allSettled([
        shim.runtime.createContainer({ id, sandboxId: sandbox.id, spec, rootfs: rootfs.path, logPath, stdin: config.stdin, stdinOnce: config.stdinOnce, signal: ctx.signal }),
        shim.containers.add(record),
      ]);
      if (created.status === 'rejected' || stored.status === 'rejected') {
        if (created.status === 'fulfilled') await shim.runtime.removeContainer(id).catch(() => undefined);
        if (stored.status === 'fulfilled') await shim.containers.delete(id).catch(() => undefined);
        throw created.status === 'rejected' ? created.reason : (stored as PromiseRejectedResult).reason;
      }
    } catch (e) {
      if (await preparing.then(() => true, () => false)) {
        await shim.images.releaseRootfs(id).catch((err: unknown) => shim.logger.warn('releasing a rootfs failed', { containerId: id, error: String(err) }));
      }
      throw e;
    }
    publishContainerEvent(shim, id, sandbox.id, ContainerEventType.CONTAINER_CREATED_EVENT);
    return { containerId: id };
  } finally {
    shim.containers.releaseName(name, id);
  }
};
