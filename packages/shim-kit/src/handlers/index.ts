import type { CriCallContext, ImageServiceHandlers, RuntimeServiceHandlers } from '@shimkit/cri-types';
import { toCriError } from '../to-cri-error.js';
import type { ShimServices } from '../shim/shim-services.js';
import { attach } from './attach.js';
import { containerStats } from './container-stats.js';
import { containerStatus } from './container-status.js';
import { createContainer } from './create-container.js';
import { execSync } from './exec-sync.js';
import { exec } from './exec.js';
import { getContainerEvents } from './get-container-events.js';
import type { ShimHandler, ShimStreamHandler } from './handler.js';
import { imageFsInfo } from './image-fs-info.js';
import { imageStatus } from './image-status.js';
import { listContainerStats } from './list-container-stats.js';
import { listContainers } from './list-containers.js';
import { listImages } from './list-images.js';
import { listMetricDescriptors } from './list-metric-descriptors.js';
import { listPodSandboxMetrics } from './list-pod-sandbox-metrics.js';
import { listPodSandboxStats } from './list-pod-sandbox-stats.js';
import { listPodSandbox } from './list-pod-sandbox.js';
import { podSandboxStats } from './pod-sandbox-stats.js';
import { podSandboxStatus } from './pod-sandbox-status.js';
import { portForward } from './port-forward.js';
import { pullImage } from './pull-image.js';
import { removeContainer } from './remove-container.js';
import { removeImage } from './remove-image.js';
import { removePodSandbox } from './remove-pod-sandbox.js';
import { reopenContainerLog } from './reopen-container-log.js';
import { runPodSandbox } from './run-pod-sandbox.js';
import { runtimeConfig } from './runtime-config.js';
import { startContainer } from './start-container.js';
import { status } from './status.js';
import { stopContainer } from './stop-container.js';
import { stopPodSandbox } from './stop-pod-sandbox.js';
import { streamContainerStats } from './stream-container-stats.js';
import { streamContainers } from './stream-containers.js';
import { streamImages } from './stream-images.js';
import { streamPodSandboxMetrics } from './stream-pod-sandbox-metrics.js';
import { streamPodSandboxStats } from './stream-pod-sandbox-stats.js';
import { streamPodSandboxes } from './stream-pod-sandboxes.js';
import { updateContainerResources } from './update-container-resources.js';
import { updatePodSandboxResources } from './update-pod-sandbox-resources.js';
import { updateRuntimeConfig } from './update-runtime-config.js';
import { version } from './version.js';

// The gRPC answer for a failure; failures nobody classified are logged, since they are bugs or surprises.
function answer(shim: ShimServices, rpc: string, e: unknown): Error {
  const error = toCriError(e);
  if (error.code === 'Unknown' || error.code === 'Internal') shim.logger.error(`${rpc} failed`, { error: error.message });
  return error;
}

function unary<Req, Res>(shim: ShimServices, handler: ShimHandler<Req, Res>) {
  return async (request: Req, ctx: CriCallContext) => {
    try {
      return await handler(shim, request, ctx);
    } catch (e) {
      throw answer(shim, handler.name, e);
    }
  };
}

function stream<Req, Res>(shim: ShimServices, handler: ShimStreamHandler<Req, Res>) {
  return async function* (request: Req, ctx: CriCallContext) {
    try {
      yield* handler(shim, request, ctx);
    } catch (e) {
      throw answer(shim, handler.name, e);
    }
  };
}

/**
 * The RuntimeService handlers of a shim. CheckpointContainer, CheckpointPod and RestorePod
 * are left out and answer UNIMPLEMENTED.
 */
export function runtimeHandlers(shim: ShimServices): RuntimeServiceHandlers {
  return {
    version: unary(shim, version),
    status: unary(shim, status),
    runtimeConfig: unary(shim, runtimeConfig),
    updateRuntimeConfig: unary(shim, updateRuntimeConfig),
    runPodSandbox: unary(shim, runPodSandbox),
    stopPodSandbox: unary(shim, stopPodSandbox),
    removePodSandbox: unary(shim, removePodSandbox),
    podSandboxStatus: unary(shim, podSandboxStatus),
    listPodSandbox: unary(shim, listPodSandbox),
    createContainer: unary(shim, createContainer),
    startContainer: unary(shim, startContainer),
    stopContainer: unary(shim, stopContainer),
    removeContainer: unary(shim, removeContainer),
    listContainers: unary(shim, listContainers),
    containerStatus: unary(shim, containerStatus),
    updateContainerResources: unary(shim, updateContainerResources),
    updatePodSandboxResources: unary(shim, updatePodSandboxResources),
    reopenContainerLog: unary(shim, reopenContainerLog),
    execSync: unary(shim, execSync),
    exec: unary(shim, exec),
    attach: unary(shim, attach),
    portForward: unary(shim, portForward),
    containerStats: unary(shim, containerStats),
    listContainerStats: unary(shim, listContainerStats),
    podSandboxStats: unary(shim, podSandboxStats),
    listPodSandboxStats: unary(shim, listPodSandboxStats),
    listMetricDescriptors: unary(shim, listMetricDescriptors),
    listPodSandboxMetrics: unary(shim, listPodSandboxMetrics),
    getContainerEvents: stream(shim, getContainerEvents),
    streamPodSandboxes: stream(shim, streamPodSandboxes),
    streamContainers: stream(shim, streamContainers),
    streamContainerStats: stream(shim, streamContainerStats),
    streamPodSandboxStats: stream(shim, streamPodSandboxStats),
    streamPodSandboxMetrics: stream(shim, streamPodSandboxMetrics),
  };
}

/** The ImageService handlers of a shim (all six RPCs). */
export function imageHandlers(shim: ShimServices): ImageServiceHandlers {
  return {
    listImages: unary(shim, listImages),
    imageStatus: unary(shim, imageStatus),
    pullImage: unary(shim, pullImage),
    removeImage: unary(shim, removeImage),
    imageFsInfo: unary(shim, imageFsInfo),
    streamImages: stream(shim, streamImages),
  };
}
