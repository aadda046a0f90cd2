/**
 * Types of the OCI runtime-spec container configuration (`config.json`), version 1.2.
 * Field names match the specification exactly. Fields not listed here (newer versions, other
 * platforms, extensions) survive parsing and serialising untouched.
 */

/** The whole container configuration (`config.json`). */
export interface RuntimeSpec {
  /** Runtime-spec version (SemVer 2.0.0), e.g. `1.2.0`. */
  ociVersion: string;
  /** The container's root filesystem. */
  root?: Root;
  /** Additional mounts, in order. */
  mounts?: Mount[];
  /** The container process. Required by `start`. */
  process?: Process;
  /** Hostname inside the container (needs a UTS namespace). */
  hostname?: string;
  /** NIS domain name inside the container (needs a UTS namespace). */
  domainname?: string;
  /** Lifecycle hooks. */
  hooks?: Hooks;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
  /** Linux-specific configuration. */
  linux?: Linux;
}

/** Root filesystem. */
export interface Root {
  /** Path to the root filesystem, absolute or relative to the bundle. */
  path: string;
  /** Mount the root filesystem read-only. */
  readonly?: boolean;
}

/** One mount. */
export interface Mount {
  /** Absolute path inside the container. */
  destination: string;
  /** Source device, directory or file. */
  source?: string;
  /** Filesystem type (`bind`, `proc`, `tmpfs`, ...). */
  type?: string;
  /** fstab-style options (`ro`, `nosuid`, `rbind`, ...). */
  options?: string[];
  /** ID-mapped mount: user ID mappings. */
  uidMappings?: IdMapping[];
  /** ID-mapped mount: group ID mappings. */
  gidMappings?: IdMapping[];
}

/** A user or group ID range mapping. */
export interface IdMapping {
  /** First ID inside the container. */
  containerID: number;
  /** First ID on the host. */
  hostID: number;
  /** Number of IDs mapped. */
  size: number;
}

/** Terminal dimensions. */
export interface ConsoleSize {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/** The user the process runs as. */
export interface User {
  /** User ID. */
  uid: number;
  /** Group ID. */
  gid: number;
  /** File mode creation mask. */
  umask?: number;
  /** Supplementary group IDs. */
  additionalGids?: number[];
  /** User name (Windows only). */
  username?: string;
}

/** Linux capability sets. */
export interface Capabilities {
  /** Bounding set. */
  bounding?: string[];
  /** Effective set. */
  effective?: string[];
  /** Inheritable set. */
  inheritable?: string[];
  /** Permitted set. */
  permitted?: string[];
  /** Ambient set. */
  ambient?: string[];
}

/** A POSIX resource limit. */
export interface Rlimit {
  /** `RLIMIT_NOFILE`, `RLIMIT_NPROC`, ... */
  type: string;
  /** Hard limit. */
  hard: number;
  /** Soft limit. */
  soft: number;
}

/** I/O priority of the process. */
export interface IoPriority {
  /** `IOPRIO_CLASS_RT`, `IOPRIO_CLASS_BE` or `IOPRIO_CLASS_IDLE`. */
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  /** Priority level inside the class, 0 (highest) to 7. */
  priority?: number;
}

/** Scheduling policy of the process (`sched_setattr`). */
export interface Scheduler {
  /** `SCHED_OTHER`, `SCHED_FIFO`, `SCHED_RR`, `SCHED_BATCH`, `SCHED_ISO`, `SCHED_IDLE` or `SCHED_DEADLINE`. */
  policy: string;
  /** Nice value for `SCHED_OTHER`/`SCHED_BATCH`. */
  nice?: number;
  /** Static priority for `SCHED_FIFO`/`SCHED_RR`. */
  priority?: number;
  /** `SCHED_FLAG_*` flags. */
  flags?: string[];
  /** Deadline scheduling runtime (ns). */
  runtime?: number;
  /** Deadline scheduling deadline (ns). */
  deadline?: number;
  /** Deadline scheduling period (ns). */
  period?: number;
}

/** CPU affinity of processes started with `runc exec`. */
export interface ExecCpuAffinity {
  /** CPUs before the process joins the container's cgroup. */
  initial?: string;
  /** CPUs after the process joins the container's cgroup. */
  final?: string;
}

/** The container process. */
export interface Process {
  /** Attach a pseudo-terminal. */
  terminal?: boolean;
  /** Console size, for `terminal: true`. */
  consoleSize?: ConsoleSize;
  /** User and groups. */
  user: User;
  /** Executable and arguments; `args[0]` is the program. */
  args?: string[];
  /** Full command line (Windows only). */
  commandLine?: string;
  /** Environment as `KEY=value`. */
  env?: string[];
  /** Absolute working directory inside the container. */
  cwd: string;
  /** Capability sets. */
  capabilities?: Capabilities;
  /** Resource limits. */
  rlimits?: Rlimit[];
  /** Set the no_new_privs bit. */
  noNewPrivileges?: boolean;
  /** AppArmor profile name. */
  apparmorProfile?: string;
  /** OOM score adjustment, -1000 to 1000. */
  oomScoreAdj?: number;
  /** Scheduling policy. */
  scheduler?: Scheduler;
  /** SELinux process label. */
  selinuxLabel?: string;
  /** I/O priority. */
  ioPriority?: IoPriority;
  /** CPU affinity for exec'd processes. */
  execCPUAffinity?: ExecCpuAffinity;
}

/** A lifecycle hook. */
export interface Hook {
  /** Absolute path of the executable on the host (runtime namespace). */
  path: string;
  /** Arguments, including `argv[0]`. */
  args?: string[];
  /** Environment as `KEY=value`. */
  env?: string[];
  /** Seconds before the hook is aborted; must be positive. */
  timeout?: number;
}

/** Lifecycle hooks. */
export interface Hooks {
  /** Deprecated: use `createRuntime`, `createContainer`, `startContainer`. */
  prestart?: Hook[];
  /** Run in the runtime namespace after the environment is created. */
  createRuntime?: Hook[];
  /** Run in the container namespace after `createRuntime`, before pivot_root. */
  createContainer?: Hook[];
  /** Run in the container namespace before the user process starts. */
  startContainer?: Hook[];
  /** Run in the runtime namespace after the user process starts. */
  poststart?: Hook[];
  /** Run in the runtime namespace after the container is deleted. */
  poststop?: Hook[];
}

/** Linux namespace types. */
export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

/** A namespace to create (no `path`) or join (`path`). */
export interface Namespace {
  /** Namespace type. */
  type: NamespaceType;
  /** Path of an existing namespace to join, e.g. `/proc/1234/ns/net`. */
  path?: string;
}

/** A device node to create in the container. */
export interface Device {
  /** `c`, `b`, `u` or `p`. */
  type: string;
  /** Absolute path inside the container. */
  path: string;
  /** Major number (not for `p`). */
  major?: number;
  /** Minor number (not for `p`). */
  minor?: number;
  /** Permission bits. */
  fileMode?: number;
  /** Owner user ID. */
  uid?: number;
  /** Owner group ID. */
  gid?: number;
}

/** A device cgroup rule. */
export interface DeviceCgroup {
  /** Allow or deny. */
  allow: boolean;
  /** `a` (all), `c` or `b`. */
  type?: string;
  /** Major number; absent means all. */
  major?: number;
  /** Minor number; absent means all. */
  minor?: number;
  /** Some of `r`, `w`, `m`. */
  access?: string;
}

/** Memory cgroup settings. Values are bytes; -1 means unlimited. */
export interface MemoryResources {
  /** Memory limit. */
  limit?: number;
  /** Soft limit. */
  reservation?: number;
  /** Memory plus swap limit. */
  swap?: number;
  /** Kernel memory limit (deprecated). */
  kernel?: number;
  /** Kernel TCP buffer limit (deprecated). */
  kernelTCP?: number;
  /** Swappiness, 0-100. */
  swappiness?: number;
  /** Disable the OOM killer. */
  disableOOMKiller?: boolean;
  /** Enable hierarchical accounting (cgroup v1). */
  useHierarchy?: boolean;
  /** Refuse an update that sets a limit below current usage. */
  checkBeforeUpdate?: boolean;
}

/** CPU cgroup settings. */
export interface CpuResources {
  /** Relative weight. */
  shares?: number;
  /** CFS quota (microseconds per period). */
  quota?: number;
  /** CFS burst (microseconds). */
  burst?: number;
  /** CFS period (microseconds). */
  period?: number;
  /** Real-time runtime (microseconds). */
  realtimeRuntime?: number;
  /** Real-time period (microseconds). */
  realtimePeriod?: number;
  /** cpuset CPUs, e.g. `0-3,7`. */
  cpus?: string;
  /** cpuset memory nodes. */
  mems?: string;
  /** SCHED_IDLE for the cgroup (cgroup v2), 0 or 1. */
  idle?: number;
}

/** Process-count limit. */
export interface PidsResources {
  /** Maximum number of tasks; 0 or -1 means no limit. */
  limit: number;
}

/** A block device weight. */
export interface WeightDevice {
  /** Device major number. */
  major: number;
  /** Device minor number. */
  minor: number;
  /** Weight 10-1000. */
  weight?: number;
  /** Leaf weight 10-1000. */
  leafWeight?: number;
}

/** A block device throttle. */
export interface ThrottleDevice {
  /** Device major number. */
  major: number;
  /** Device minor number. */
  minor: number;
  /** Rate (bytes or operations per second). */
  rate: number;
}

/** Block I/O cgroup settings. */
export interface BlockIoResources {
  /** Weight 10-1000. */
  weight?: number;
  /** Leaf weight 10-1000. */
  leafWeight?: number;
  /** Per-device weights. */
  weightDevice?: WeightDevice[];
  /** Read bytes/s limits. */
  throttleReadBpsDevice?: ThrottleDevice[];
  /** Write bytes/s limits. */
  throttleWriteBpsDevice?: ThrottleDevice[];
  /** Read IO/s limits. */
  throttleReadIOPSDevice?: ThrottleDevice[];
  /** Write IO/s limits. */
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

/** A hugetlb limit. */
export interface HugepageLimit {
  /** Page size such as `2MB`, `1GB`. */
  pageSize: string;
  /** Limit in bytes. */
  limit: number;
}

/** Network cgroup settings. */
export interface NetworkResources {
  /** net_cls class ID. */
  classID?: number;
  /** net_prio priorities per interface. */
  priorities?: { name: string; priority: number }[];
}

/** RDMA limits of one device. */
export interface RdmaLimit {
  /** Maximum HCA handles. */
  hcaHandles?: number;
  /** Maximum HCA objects. */
  hcaObjects?: number;
}

/** cgroup resource settings. */
export interface Resources {
  /** Device allow/deny list. */
  devices?: DeviceCgroup[];
  /** Memory. */
  memory?: MemoryResources;
  /** CPU. */
  cpu?: CpuResources;
  /** Process count. */
  pids?: PidsResources;
  /** Block I/O. */
  blockIO?: BlockIoResources;
  /** Huge pages. */
  hugepageLimits?: HugepageLimit[];
  /** Network class and priority. */
  network?: NetworkResources;
  /** RDMA, keyed by device name. */
  rdma?: Record<string, RdmaLimit>;
  /** cgroup v2 files to write, keyed by file name. */
  unified?: Record<string, string>;
}

/** A seccomp argument comparison. */
export interface SeccompArg {
  /** Argument index, 0-5. */
  index: number;
  /** Value to compare with. */
  value: number;
  /** Second value (for `SCMP_CMP_MASKED_EQ`). */
  valueTwo?: number;
  /** `SCMP_CMP_NE`, `SCMP_CMP_LT`, `SCMP_CMP_LE`, `SCMP_CMP_EQ`, `SCMP_CMP_GE`, `SCMP_CMP_GT`, `SCMP_CMP_MASKED_EQ`. */
  op: string;
}

/** A seccomp rule for some system calls. */
export interface SeccompSyscall {
  /** System call names. */
  names: string[];
  /** `SCMP_ACT_*` action. */
  action: string;
  /** errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`. */
  errnoRet?: number;
  /** Argument conditions (all must hold). */
  args?: SeccompArg[];
}

/** Seccomp filter. */
export interface Seccomp {
  /** Action for system calls no rule matches. */
  defaultAction: string;
  /** errno for a default `SCMP_ACT_ERRNO`. */
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` architectures. */
  architectures?: string[];
  /** `SECCOMP_FILTER_FLAG_*` flags. */
  flags?: string[];
  /** Unix socket for `SCMP_ACT_NOTIFY`. */
  listenerPath?: string;
  /** Opaque data sent to the listener. */
  listenerMetadata?: string;
  /** Rules. */
  syscalls?: SeccompSyscall[];
}

/** Intel RDT settings. */
export interface IntelRdt {
  /** resctrl class of service. */
  closID?: string;
  /** L3 cache schema. */
  l3CacheSchema?: string;
  /** Memory bandwidth schema, starting `MB:`. */
  memBwSchema?: string;
  /** Enable cache monitoring. */
  enableCMT?: boolean;
  /** Enable memory bandwidth monitoring. */
  enableMBM?: boolean;
}

/** Execution domain (personality). */
export interface Personality {
  /** `LINUX` or `LINUX32`. */
  domain: 'LINUX' | 'LINUX32';
  /** Additional flags. */
  flags?: string[];
}

/** Offset of one clock in a time namespace. */
export interface TimeOffset {
  /** Seconds. */
  secs?: number;
  /** Nanoseconds. */
  nanosecs?: number;
}

/** A network device to move into the container (runtime-spec 1.2). */
export interface NetDevice {
  /** Name inside the container. */
  name?: string;
}

/** Linux-specific configuration. */
export interface Linux {
  /** Namespaces to create or join. */
  namespaces?: Namespace[];
  /** User namespace UID mappings. */
  uidMappings?: IdMapping[];
  /** User namespace GID mappings. */
  gidMappings?: IdMapping[];
  /** Time namespace offsets, keyed by clock (`monotonic`, `boottime`). */
  timeOffsets?: Record<string, TimeOffset>;
  /** Devices to create. */
  devices?: Device[];
  /** Host network devices to move in, keyed by host name. */
  netDevices?: Record<string, NetDevice>;
  /** cgroup path (absolute, relative, or `slice:prefix:name` for systemd). */
  cgroupsPath?: string;
  /** cgroup resources. */
  resources?: Resources;
  /** Kernel parameters. */
  sysctl?: Record<string, string>;
  /** Seccomp filter. */
  seccomp?: Seccomp;
  /** Root mount propagation: `private`, `shared`, `slave`, `unbindable` (r-prefixed too). */
  rootfsPropagation?: string;
  /** Paths to mask (made unreadable). */
  maskedPaths?: string[];
  /** Paths to make read-only. */
  readonlyPaths?: string[];
  /** SELinux label for mounts. */
  mountLabel?: string;
  /** Intel RDT. */
  intelRdt?: IntelRdt;
  /** Execution domain. */
  personality?: Personality;
}
