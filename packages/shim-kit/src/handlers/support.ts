// What handlers share, in one import.
export { required, requiredString } from '../lifecycle/require.js';
export { newId } from '../lifecycle/new-id.js';
export * as names from '../convert/names.js';
export { byIdOrPrefix, findContainer, findSandbox } from '../lifecycle/lookup.js';
export { podNetworkRequest } from '../lifecycle/pod-network-request.js';
export { publishContainerEvent } from '../lifecycle/container-events.js';
export { recordExit } from '../lifecycle/record-exit.js';
export { filterContainers, filterSandboxes } from '../convert/list-filters.js';
export { toContainer, toContainerStatus, toPodSandbox, toPodSandboxStatus } from '../convert/to-cri.js';
export { chunks } from '../convert/chunks.js';
