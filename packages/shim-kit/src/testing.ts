// Entry point `shimkit/testing`: fake backends and a shim on them, for tests.
import './di.js';

export { CallRecorder, type RecordedCall } from './testing/call-recorder.js';
export {
  FakeRuntimeBackend,
  type FakeContainer,
  type FakeExecResponder,
  type FakeRuntimeMethod,
  type FakeSandbox,
  type ScriptedExit,
} from './testing/fake-runtime-backend.js';
export { FakeImageBackend, type FakeImageBackendOptions, type FakeImageMethod, type FakeRemoteImage } from './testing/fake-image-backend.js';
export { FakePodNetwork, type FakeAttachment, type FakeNetworkMethod } from './testing/fake-pod-network.js';
export { createFakes, fakeModules, type Fakes } from './testing/fakes.js';
export { startFakeShim, type FakeShim, type StartFakeShimOptions } from './testing/fake-shim.js';
export { FakeClock } from './testing/fake-clock.js';
export { RecordingLogger, type LogLine } from './testing/recording-logger.js';
