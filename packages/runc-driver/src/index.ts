export { Runc } from './runc.js';
export type {
  RuncOptions,
  CallOptions,
  CreateOptions,
  RunOptions,
  RunDetachedOptions,
  ProcessResult,
  ExecOptions,
  KillOptions,
  DeleteOptions,
  EventsOptions,
  CheckpointOptions,
  RestoreOptions,
  SpecOptions,
} from './runc.js';
export { RuncError, isRuncError, classifyRuntimeMessage } from './runc-error.js';
export type { RuncErrorCode, RuncErrorDetails } from './runc-error.js';
export type { RuncIO, StdioTarget } from './runc-stdio.js';
export type { KillSignal } from './runc-args.js';
export { parseRuntimeLog, lastRuntimeError } from './runc-log.js';
export type { RuntimeLogEntry } from './runc-log.js';
export type { Logger } from './logger.js';
export type {
  ContainerState,
  ContainerStatus,
  ContainerStats,
  MemoryEntry,
  OciLinuxResources,
  OciProcess,
  RuntimeEvent,
  RuntimeFeatures,
  RuntimeVersion,
} from './runc-types.js';
