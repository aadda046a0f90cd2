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
} from './runc-options.js';
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
export { HostHelper, RunnerSpawnError } from '@shimkit/host-helper';
export type { ExtraFd, RunnerJob, RunnerOutput, RunnerResult } from '@shimkit/host-helper';
export { Conmon } from './conmon.js';
export type { ConmonOptions, ConmonCreateOptions, ConmonContainer, ConmonExit, PreparedConmon } from './conmon.js';
export { execSync, EXEC_SYNC_MAX_OUTPUT } from './exec-sync.js';
export type { ExecSyncOptions, ExecSyncResult } from './exec-sync.js';
export { readExitFile } from './exit-file.js';
export type { ExitStatus } from './exit-file.js';
export { ExitWatcher } from './exit-watcher.js';
export type { ContainerExit, ExitWatcherOptions } from './exit-watcher.js';
export { parseCriLog, criLogMessages } from './cri-log.js';
export type { CriLogLine } from './cri-log.js';
export { processTree, killProcessTree } from './process-tree.js';
export { readCgroupStats } from './cgroup-stats.js';
export { clampOomScoreAdj, oomScoreLimits, type OomScoreLimits } from './oom-score.js';
