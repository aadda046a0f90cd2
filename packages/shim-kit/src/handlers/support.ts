// What handlers share, in one import.
export { required, requiredString } from '../cri/require.js';
export { newId } from '../cri/new-id.js';
export * as names from '../cri/names.js';
export { findContainer, findSandbox } from '../cri/lookup.js';
export { podNetworkRequest } from '../cri/pod-network-request.js';
export { publishContainerEvent } from '../cri/container-events.js';
export { recordExit } from '../cri/record-exit.js';
export { filterContainers, filterSandboxes } from '../cri/list-filters.js';
export { toContainer, toContainerStatus, toPodSandbox, toPodSandboxStatus } from '../cri/to-cri.js';
export { chunks } from '../cri/chunks.js';
