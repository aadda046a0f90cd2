import { describe, expect, it } from 'vitest';
import { ImageServiceDefinition, ImageServiceService, RuntimeServiceDefinition, RuntimeServiceService } from './gen/runtime/v1/api.js';

// A guard against a truncated or mis-generated src/gen: the CRI v1 services and which RPCs stream.
describe('generated CRI v1 service definitions', () => {
  it('RuntimeService has 37 RPCs, six of them server-streaming', () => {
    const methods = Object.values(RuntimeServiceDefinition.methods);
    expect(RuntimeServiceDefinition.fullName).toBe('runtime.v1.RuntimeService');
    expect(methods).toHaveLength(37);
    expect(methods.filter((m) => m.responseStream).map((m) => m.name).sort()).toEqual([
      'GetContainerEvents',
      'StreamContainerStats',
      'StreamContainers',
      'StreamPodSandboxMetrics',
      'StreamPodSandboxStats',
      'StreamPodSandboxes',
    ]);
    expect(methods.some((m) => m.requestStream)).toBe(false);
  });

  it('ImageService has 6 RPCs, StreamImages streaming', () => {
    const methods = Object.values(ImageServiceDefinition.methods);
    expect(ImageServiceDefinition.fullName).toBe('runtime.v1.ImageService');
    expect(methods).toHaveLength(6);
    expect(methods.filter((m) => m.responseStream).map((m) => m.name)).toEqual(['StreamImages']);
  });

  it('grpc-js definitions use the wire paths kubelet calls', () => {
    expect(RuntimeServiceService.version.path).toBe('/runtime.v1.RuntimeService/Version');
    expect(RuntimeServiceService.checkpointPod.path).toBe('/runtime.v1.RuntimeService/CheckpointPod');
    expect(ImageServiceService.pullImage.path).toBe('/runtime.v1.ImageService/PullImage');
  });
});
