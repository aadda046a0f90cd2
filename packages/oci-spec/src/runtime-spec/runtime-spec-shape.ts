import {
  any, arr, bool, INT32, INT64, int, map, obj, str, STRING_MAP, STRINGS, UINT16, UINT32, UINT64,
} from '../validation/shape.js';
import type { Shape } from '../validation/shape.js';

const idMapping = obj({ containerID: UINT32, hostID: UINT32, size: UINT32 }, ['containerID', 'hostID', 'size']);
const hook = obj({ path: str(), args: STRINGS, env: STRINGS, timeout: int(1) }, ['path']);
const hooks = arr(hook);
const weightDevice = obj({ major: INT64, minor: INT64, weight: UINT16, leafWeight: UINT16 }, ['major', 'minor']);
const throttleDevice = obj({ major: INT64, minor: INT64, rate: UINT64 }, ['major', 'minor', 'rate']);

const resources = obj({
  devices: arr(obj({ allow: bool, type: str(), major: INT64, minor: INT64, access: str() }, ['allow'])),
  memory: obj({
    limit: INT64,
    reservation: INT64,
    swap: INT64,
    kernel: INT64,
    kernelTCP: INT64,
    swappiness: UINT64,
    disableOOMKiller: bool,
    useHierarchy: bool,
    checkBeforeUpdate: bool,
  }),
  cpu: obj({
    shares: UINT64,
    quota: INT64,
    burst: UINT64,
    period: UINT64,
    realtimeRuntime: INT64,
    realtimePeriod: UINT64,
    cpus: str(),
    mems: str(),
    idle: INT64,
  }),
  pids: obj({ limit: INT64 }, ['limit']),
  blockIO: obj({
    weight: UINT16,
    leafWeight: UINT16,
    weightDevice: arr(weightDevice),
    throttleReadBpsDevice: arr(throttleDevice),
    throttleWriteBpsDevice: arr(throttleDevice),
    throttleReadIOPSDevice: arr(throttleDevice),
    throttleWriteIOPSDevice: arr(throttleDevice),
  }),
  hugepageLimits: arr(obj({ pageSize: str(), limit: UINT64 }, ['pageSize', 'limit'])),
  network: obj({ classID: UINT32, priorities: arr(obj({ name: str(), priority: UINT32 }, ['name', 'priority'])) }),
  rdma: map(obj({ hcaHandles: UINT32, hcaObjects: UINT32 })),
  unified: STRING_MAP,
});

const seccomp = obj(
  {
    defaultAction: str(),
    defaultErrnoRet: UINT32,
    architectures: STRINGS,
    flags: STRINGS,
    listenerPath: str(),
    listenerMetadata: str(),
    syscalls: arr(
      obj(
        {
          names: arr(str(), 1),
          action: str(),
          errnoRet: UINT32,
          args: arr(obj({ index: int(0, 5), value: UINT64, valueTwo: UINT64, op: str() }, ['index', 'value', 'op'])),
        },
        ['names', 'action'],
      ),
    ),
  },
  ['defaultAction'],
);

const linux = obj({
  namespaces: arr(obj({ type: str(), path: str() }, ['type'])),
  uidMappings: arr(idMapping),
  gidMappings: arr(idMapping),
  timeOffsets: map(obj({ secs: INT64, nanosecs: UINT32 })),
  devices: arr(
    obj({ type: str(), path: str(), major: INT64, minor: INT64, fileMode: UINT32, uid: UINT32, gid: UINT32 }, [
      'type',
      'path',
    ]),
  ),
  netDevices: map(obj({ name: str() })),
  cgroupsPath: str(),
  resources,
  sysctl: STRING_MAP,
  seccomp,
  rootfsPropagation: str(),
  maskedPaths: STRINGS,
  readonlyPaths: STRINGS,
  mountLabel: str(),
  intelRdt: obj({
    closID: str(),
    l3CacheSchema: str(),
    memBwSchema: str({ pattern: /^MB:[^\n]*$/, patternText: '"MB:..." on one line' }),
    enableCMT: bool,
    enableMBM: bool,
  }),
  personality: obj({ domain: str({ enum: ['LINUX', 'LINUX32'] }), flags: STRINGS }, ['domain']),
});

const process = obj(
  {
    terminal: bool,
    consoleSize: obj({ height: UINT32, width: UINT32 }, ['height', 'width']),
    user: obj({ uid: UINT32, gid: UINT32, umask: UINT32, additionalGids: arr(UINT32), username: str() }),
    args: STRINGS,
    commandLine: str(),
    env: STRINGS,
    cwd: str(),
    capabilities: obj({
      bounding: STRINGS,
      effective: STRINGS,
      inheritable: STRINGS,
      permitted: STRINGS,
      ambient: STRINGS,
    }),
    rlimits: arr(obj({ type: str(), hard: UINT64, soft: UINT64 }, ['type', 'hard', 'soft'])),
    noNewPrivileges: bool,
    apparmorProfile: str(),
    oomScoreAdj: int(-1000, 1000),
    scheduler: obj(
      {
        policy: str({
          enum: ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'],
        }),
        nice: INT32,
        priority: INT32,
        flags: STRINGS,
        runtime: UINT64,
        deadline: UINT64,
        period: UINT64,
      },
      ['policy'],
    ),
    selinuxLabel: str(),
    ioPriority: obj(
      { class: str({ enum: ['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'] }), priority: int(0, 7) },
      ['class', 'priority'],
    ),
    execCPUAffinity: obj({ initial: str(), final: str() }),
  },
  ['cwd', 'user'],
);

/** Structure of a runtime-spec `config.json`: types, required fields, ranges. */
export const RUNTIME_SPEC_SHAPE: Shape = obj(
  {
    ociVersion: str(),
    root: obj({ path: str(), readonly: bool }, ['path']),
    mounts: arr(
      obj(
        { destination: str(), source: str(), type: str(), options: STRINGS, uidMappings: arr(idMapping), gidMappings: arr(idMapping) },
        ['destination'],
      ),
    ),
    process,
    hostname: str(),
    domainname: str(),
    hooks: obj({
      prestart: hooks,
      createRuntime: hooks,
      createContainer: hooks,
      startContainer: hooks,
      poststart: hooks,
      poststop: hooks,
    }),
    annotations: STRING_MAP,
    linux,
    windows: any,
    solaris: any,
    vm: any,
  },
  ['ociVersion'],
);
