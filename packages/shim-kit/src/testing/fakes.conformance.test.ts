import { imageBackendConformance } from '../conformance/image-backend-conformance.js';
import { podNetworkConformance } from '../conformance/pod-network-conformance.js';
import { runtimeBackendConformance } from '../conformance/runtime-backend-conformance.js';
import { FakeImageBackend } from './fake-image-backend.js';
import { FakePodNetwork } from './fake-pod-network.js';
import { FakeRuntimeBackend } from './fake-runtime-backend.js';

runtimeBackendConformance('FakeRuntimeBackend', {
  create: async () => new FakeRuntimeBackend(),
  container: async (id) => ({
    spec: { ociVersion: '1.2.0', process: { args: ['sleep', '3600'], cwd: '/', user: { uid: 0, gid: 0 } }, annotations: { 'io.kubernetes.cri.container-name': id } },
    rootfs: '/nonexistent/rootfs',
    logPath: '/nonexistent/log',
  }),
});

imageBackendConformance('FakeImageBackend', {
  create: async () => new FakeImageBackend(),
  pullableRef: 'busybox',
  expectedTag: 'docker.io/library/busybox:latest',
});

podNetworkConformance('FakePodNetwork', { create: async () => new FakePodNetwork() });
