import { imageBackendConformance } from '../conformance/image-backend-conformance.js';
import { podNetworkConformance } from '../conformance/pod-network-conformance.js';
import { runtimeBackendConformance } from '../conformance/runtime-backend-conformance.js';
import { FakeImageBackend } from './fake-image-backend.js';
import { FakePodNetwork } from './fake-pod-network.js';
import { FakeRuntimeBackend } from './fake-runtime-backend.js';

// The fake runs no processes: each workload becomes the scripted behaviour it would have.
let fake: FakeRuntimeBackend;
runtimeBackendConformance('FakeRuntimeBackend', {
  create: async () => (fake = new FakeRuntimeBackend()),
  container: async (id, _sandbox, workload = { kind: 'sleep' }) => {
    if (workload.kind === 'sleep') fake.ignoreStopSignal(id);
    if (workload.kind === 'exit') fake.scriptExit(id, { exitCode: workload.exitCode, afterMs: workload.delayMs ?? 0 });
    if (workload.kind === 'oom') fake.scriptExit(id, { exitCode: 137, oomKilled: true });
    return {
      spec: { ociVersion: '1.2.0', process: { args: ['sleep', '3600'], cwd: '/', user: { uid: 0, gid: 0 } }, annotations: { 'io.kubernetes.cri.container-name': id } },
      rootfs: '/nonexistent/rootfs',
      logPath: '/nonexistent/log',
    };
  },
  skip: {
    logs: 'the fake writes no log files',
    'stop-signal': 'the fake runs no signal handler (a stop with a timeout ends in 128+signal)',
    'stats-usage': 'the fake reports fixed usage',
    restart: 'the fake keeps its state in memory: a new instance starts empty',
  },
});

imageBackendConformance('FakeImageBackend', {
  create: async () => new FakeImageBackend(),
  pullableRef: 'busybox',
  expectedTag: 'docker.io/library/busybox:latest',
});

podNetworkConformance('FakePodNetwork', { create: async () => new FakePodNetwork() });
