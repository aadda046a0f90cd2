export { RuncConmonBackend } from './runc-backend.js';
export type { RuncConmonBackendOptions, RuntimeHandlerOptions } from './runc-backend.js';
export { runcConmonModule, createRuncConmonBackend } from './runc-conmon-module.js';
export type { RuncConmonModuleOptions } from './runc-conmon-module.js';
export type { InfraImageSource } from './infra-container.js';
export { renderResolvConf, DEFAULT_SHM_SIZE_BYTES } from './pod-files.js';
