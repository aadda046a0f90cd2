export { leaseHelper, type HelperLease } from './helper-lease.js';
export { HostHelper, builtHelperPath, type HostHelperOptions, type IdMapping, type PinRequest, type TerminalJob } from './host-helper.js';
export { HostHelperError, RunnerSpawnError, SystemCallError, isHostHelperError, type HostHelperErrorCode } from './errors.js';
export type { ExtraFd, RunnerJob, RunnerOutput, RunnerResult } from './jobs.js';
export { isProcessAlive } from './process-alive.js';
export { isSameLiveProcess, processIdentity, type ProcessIdentity } from './process-identity.js';
export { DatagramReceiver, type Datagram } from './datagram-receiver.js';
export { builtMallocTrimPath, trimMallocHeap, tuneMalloc, type MallocTuning } from './malloc-trim.js';
