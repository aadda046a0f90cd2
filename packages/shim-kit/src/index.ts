// tsyringe needs the Reflect metadata API; di.ts loads reflect-metadata first.
import './di.js';

export { ShimError, isShimError, type ShimErrorCode } from './errors.js';
export { toCriError } from './to-cri-error.js';
export { Tokens, type Token } from './tokens.js';
export type { DependencyContainer } from './di.js';
export type { OperationOptions } from './interfaces/operation-options.js';
export { toUnixNs, type Clock } from './interfaces/clock.js';
export type { Logger, LogFields } from './interfaces/logger.js';
export {
  EXEC_SYNC_MAX_OUTPUT_BYTES,
  type AttachOptions,
  type AttachSession,
  type ContainerExit,
  type ContainerRuntimeState,
  type ContainerUsage,
  type CreateContainerOptions,
  type ExecOptions,
  type ExecProcess,
  type ExecSyncOptions,
  type ExecSyncResult,
  type RunSandboxOptions,
  type RuntimeBackend,
  type RuntimeBackendInfo,
  type RuntimeHandlerInfo,
  type SandboxInfo,
  type SandboxNamespaces,
  type StopContainerOptions,
  type TerminalSize,
} from './interfaces/runtime-backend.js';
export { ExitListeners, type ExitListener } from './lifecycle/exit-listeners.js';
export type { FilesystemUsageInfo, ImageBackend, ImageRecord, PreparedRootfs, RegistryAuth } from './interfaces/image-backend.js';
export type { PodNetwork, PodNetworkAttachment, PodNetworkRequest, PodPortMapping, UserNamespaceMappings } from './interfaces/pod-network.js';
export type { RecordStore, StoredRecord } from './interfaces/record-store.js';
export type { SandboxRecord, SandboxResources, SandboxStore } from './interfaces/sandbox-record.js';
export type { ContainerRecord, ContainerStore } from './interfaces/container-record.js';
export type { EventBus } from './interfaces/event-bus.js';
export { MemoryRecordStore } from './store/memory-record-store.js';
export { DiskRecordStore, type DiskRecordStoreOptions } from './store/disk-record-store.js';
export { DiskContainerStore, DiskSandboxStore, MemoryContainerStore, MemorySandboxStore } from './store/stores.js';
export { MemoryEventBus } from './runtime/memory-event-bus.js';
export { SystemClock } from './runtime/system-clock.js';
export { NoopLogger } from './runtime/noop-logger.js';
export { createShim, composeShimContainer, type CreateShimOptions, type Shim } from './shim/create-shim.js';
export type { ShimConfig } from './shim/shim-config.js';
export { ShimServices } from './shim/shim-services.js';
export { coreModule, diskStoresModule, memoryStoresModule, provide, provideFactory, type ShimModule } from './shim/modules.js';
export { containerSpec, type ContainerSpecInput } from './spec/container-spec.js';
export { containerName, sandboxName } from './convert/names.js';
export { runtimeHandlers, imageHandlers } from './handlers/index.js';
export { currentCall, runInCall, type CallContext } from './observe/call-context.js';
export { noopMetrics, type OperationDone, type OperationKind, type RpcDone, type ShimMetrics, type StateCounts } from './observe/metrics.js';
export { noopTracer, type ShimTracer, type SpanAttributes } from './observe/tracer.js';
export { PrometheusMetrics, prometheusMetricsModule, type MetricsOptions, type PrometheusMetricsOptions } from './observe/prometheus-metrics.js';
export { OtelTracer, otelTracingModule, type OtelTracingOptions } from './observe/otel-tracer.js';
export { startMetricsServer, type MetricsServer } from './observe/metrics-server.js';
export { parseMetricsAddress, type MetricsAddress } from './observe/metrics-address.js';
export { observeHandlers } from './observe/observed-handlers.js';
export { defaultModules, type DefaultModulesOptions } from './shim/default-modules.js';
export {
  RuncConmonBackend,
  runcConmonModule,
  createRuncConmonBackend,
  renderResolvConf,
  DEFAULT_SHM_SIZE_BYTES,
  type RuncConmonBackendOptions,
  type RuncConmonModuleOptions,
  type RuntimeHandlerOptions,
  type InfraImageSource,
} from './modules/runc/index.js';
export type { StateLayout } from './modules/runc/state-layout.js';
export { HandlerRoutingBackend, handlerRoutingModule } from './modules/handler-routing/index.js';
export {
  CniPodNetwork,
  cniNetworkModule,
  CniError,
  isCniError,
  CNI_TRY_AGAIN_LATER,
  DEFAULT_CNI_BIN_DIRS,
  DEFAULT_CNI_CONF_DIR,
  loadNetworkList,
  parseNetworkList,
  CNI_CONFIG_EXTENSIONS,
  SUPPORTED_CNI_VERSIONS,
  NETWORK_NOT_READY_REASON,
  type CniPodNetworkOptions,
  type CniNetworkModuleOptions,
  type CniErrorReason,
  type CniErrorDetails,
  type CniNetworkList,
  type CniPluginConfig,
  type NetworkStatus,
} from './modules/cni/index.js';
export {
  ImageStoreBackend,
  imageStoreModule,
  credentialsFromAuth,
  type ImageStoreRootfs,
  type ImageStoreBackendOptions,
  type ImageStoreModuleOptions,
} from './modules/images/index.js';
export type { ImageRegistryOptions } from './modules/images/image-store-backend-options.js';
export type { RegistrySettings } from './modules/images/registry-options.js';
export { StderrLogger, parseLogLevel, LOG_LEVELS, type LogLevel, type StderrLoggerOptions } from './cli/stderr-logger.js';
export { loadShimConfigFile, parseShimConfigFile, type ShimConfigFile } from './cli/config-file.js';
export { StreamingServer, type StreamingServerOptions, type ExecRunner, type AttachRunner, type PortForwarder, type StreamingEndpoint } from './streaming/index.js';
export type { AttachRequest } from './streaming/attach-runner.js';
export type { ExecRequest, ExecStreams } from './streaming/exec-runner.js';
export type { PortForwardTarget } from './streaming/port-forwarder.js';
export { ContainerEngine } from './engine/container-engine.js';
export type { AttachStreams, ContainerEngineOptions, ContainerStats, CreateContainerRequest } from './engine/container-engine.js';
export type { ContainerRecords } from './engine/container-records.js';
export type { ForegroundRun, RunAndRemoveOptions } from './engine/run-and-remove.js';
export type { ExecInContainerOptions } from './engine/exec-in-container.js';
export type { LogSink, ReadLogOptions } from './engine/container-logs.js';
export type { StartContainerOptions } from './engine/start-container.js';
export type { ContainerStatus, ContainerView, EngineContainer, NetworkMode } from './engine/engine-container.js';
export { EngineLayout, DEFAULT_ENGINE_ROOT, DEFAULT_ENGINE_RUNROOT } from './engine/engine-layout.js';
export { parsePortMapping, formatPortMapping } from './engine/port-mapping.js';
export { parseVolume, type VolumeMount } from './engine/volume-mount.js';
export { bridgeConflist, DEFAULT_BRIDGE, type BridgeNetworkSettings } from './engine/default-network.js';
