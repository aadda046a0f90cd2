// Entry point `shimkit/conformance`: shared suites (vitest) that every implementation of an interface must pass.
import './di.js';

export { recordStoreConformance, type RecordStoreHarness } from './conformance/record-store-conformance.js';
export {
  runtimeBackendConformance,
  type ConformanceContainer,
  type ConformanceWorkload,
  type RuntimeBackendCase,
  type RuntimeBackendHarness,
} from './conformance/runtime-backend-conformance.js';
export { busyboxWorkloadArgs, OOM_WORKLOAD_LIMIT_BYTES, withBusyboxWorkload } from './conformance/runtime-backend/busybox-workload.js';
export { imageBackendConformance, type ImageBackendHarness } from './conformance/image-backend-conformance.js';
export { podNetworkConformance, type PodNetworkHarness } from './conformance/pod-network-conformance.js';
export { exitContainerRecord, sampleContainer, sampleSandbox, stopSandboxRecord } from './conformance/store-samples.js';
export {
  BUSYBOX_CRI_WORKLOADS,
  KNOWN_DEVIATIONS,
  runCriConformance,
  type CriCase,
  type CriConformanceOptions,
  type CriHandlerAbilities,
  type CriWorkloads,
} from './conformance/cri-conformance.js';
