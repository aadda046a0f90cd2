import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultLinuxSpec } from './default-linux-spec.js';
import type { RuntimeSpec } from './types.js';
import { validateRuntimeSpec } from './validate-runtime-spec.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), `oci-spec-validate-${process.pid}-`));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `runc spec` / `crun spec` output, produced by the real binaries. */
function generatedSpec(binary: 'runc' | 'crun'): unknown {
  const dir = tempDir();
  execFileSync(binary, ['spec'], { cwd: dir, timeout: 10_000 });
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as unknown;
}

/** A spec with no issues at all: runc's default with ambient capabilities also inheritable. */
function valid(): RuntimeSpec {
  const spec = defaultLinuxSpec();
  const caps = spec.process?.capabilities;
  if (caps !== undefined) caps.inheritable = [...(caps.ambient ?? [])];
  return spec;
}

const summary = (issues: { path: string; rule: string }[]): string[] => issues.map((i) => `${i.path} ${i.rule}`).sort();

describe('real documents', () => {
  it.each(['runc', 'crun'] as const)('%s spec has no MUST issue; only ambient-not-inheritable warnings', (binary) => {
    const issues = validateRuntimeSpec(generatedSpec(binary));
    expect(issues.filter((i) => i.level === 'MUST')).toEqual([]);
    expect(summary(issues)).toEqual([
      '/process/capabilities/ambient/0 ambient-within-inheritable',
      '/process/capabilities/ambient/1 ambient-within-inheritable',
      '/process/capabilities/ambient/2 ambient-within-inheritable',
    ]);
  });

  it('the config.json containerd 1.6 wrote for `ctr run` validates clean', () => {
    const text = readFileSync(new URL('../../test/fixtures/containerd-ctr-config.json', import.meta.url), 'utf8');
    expect(validateRuntimeSpec(JSON.parse(text))).toEqual([]);
  });

  it('the valid base has no issues', () => {
    expect(validateRuntimeSpec(valid())).toEqual([]);
  });
});

type Mutation = (spec: RuntimeSpec & Record<string, unknown>) => void;
const BROKEN: [string, Mutation, string[]][] = [
  ['ociVersion not semver', (s) => { s.ociVersion = '1.0'; }, ['/ociVersion semver']],
  ['ociVersion 2.x', (s) => { s.ociVersion = '2.0.0'; }, ['/ociVersion oci-version-supported']],
  ['ociVersion missing', (s) => { delete (s as Partial<RuntimeSpec>).ociVersion; }, ['/ociVersion required']],
  ['ociVersion number', (s) => { (s as Record<string, unknown>).ociVersion = 1; }, ['/ociVersion type']],
  ['root missing', (s) => { delete s.root; }, ['/root required']],
  ['root.path missing', (s) => { s.root = {} as never; }, ['/root/path required']],
  ['root.readonly string', (s) => { s.root = { path: 'rootfs', readonly: 'yes' as never }; }, ['/root/readonly type']],
  ['relative mount destination', (s) => { s.mounts?.push({ destination: 'data' }); }, ['/mounts/7/destination absolute-path']],
  ['mount without destination', (s) => { s.mounts?.push({ source: '/x' } as never); }, ['/mounts/7/destination required']],
  ['mount options not strings', (s) => { s.mounts?.push({ destination: '/x', options: [1] as never }); }, ['/mounts/7/options/0 type']],
  ['relative cwd', (s) => { s.process!.cwd = 'home'; }, ['/process/cwd absolute-path']],
  ['cwd missing', (s) => { delete (s.process as Partial<RuntimeSpec['process']>)!.cwd; }, ['/process/cwd required']],
  ['empty args', (s) => { s.process!.args = []; }, ['/process/args non-empty-args']],
  ['args missing', (s) => { delete s.process!.args; }, ['/process/args non-empty-args']],
  ['args not array', (s) => { s.process!.args = 'sh' as never; }, ['/process/args type']],
  ['env without =', (s) => { s.process!.env = ['PATH=/bin', 'NOVALUE', '=x']; }, ['/process/env/1 env-format', '/process/env/2 env-format']],
  ['user missing', (s) => { delete (s.process as Partial<RuntimeSpec['process']>)!.user; }, ['/process/user required']],
  ['uid missing', (s) => { s.process!.user = { gid: 0 } as never; }, ['/process/user/uid required']],
  ['uid negative', (s) => { s.process!.user = { uid: -1, gid: 0 }; }, ['/process/user/uid range']],
  ['additionalGids fractional', (s) => { s.process!.user = { uid: 0, gid: 0, additionalGids: [1.5] }; }, ['/process/user/additionalGids/0 type']],
  ['unknown capability', (s) => { s.process!.capabilities!.bounding!.push('CAP_FLY'); }, ['/process/capabilities/bounding/3 capability-name']],
  ['capability without prefix', (s) => { s.process!.capabilities!.bounding = ['KILL']; }, ['/process/capabilities/bounding/0 capability-name']],
  ['duplicate capability', (s) => { s.process!.capabilities!.bounding!.push('CAP_KILL'); }, ['/process/capabilities/bounding/3 duplicate-capability']],
  ['effective not permitted', (s) => { s.process!.capabilities!.effective!.push('CAP_SYS_ADMIN'); }, ['/process/capabilities/effective/3 effective-within-permitted']],
  ['ambient not permitted', (s) => {
    s.process!.capabilities!.ambient!.push('CAP_CHOWN');
    s.process!.capabilities!.inheritable!.push('CAP_CHOWN');
  }, ['/process/capabilities/ambient/3 ambient-within-permitted']],
  ['ambient not inheritable', (s) => { s.process!.capabilities!.inheritable = []; }, [
    '/process/capabilities/ambient/0 ambient-within-inheritable',
    '/process/capabilities/ambient/1 ambient-within-inheritable',
    '/process/capabilities/ambient/2 ambient-within-inheritable',
  ]],
  ['duplicate rlimit', (s) => { s.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }); }, ['/process/rlimits/1/type duplicate-rlimit']],
  ['unknown rlimit', (s) => { s.process!.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]; }, ['/process/rlimits/0/type rlimit-type']],
  ['rlimit soft above hard', (s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 1 }]; }, ['/process/rlimits/0/soft rlimit-soft-le-hard']],
  ['rlimit missing hard', (s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10 } as never]; }, ['/process/rlimits/0/hard required']],
  ['oomScoreAdj out of range', (s) => { s.process!.oomScoreAdj = 1001; }, ['/process/oomScoreAdj range']],
  ['ioPriority bad class', (s) => { s.process!.ioPriority = { class: 'IOPRIO_CLASS_X' as never, priority: 0 }; }, ['/process/ioPriority/class enum']],
  ['scheduler missing policy', (s) => { s.process!.scheduler = {} as never; }, ['/process/scheduler/policy required']],
  ['unknown namespace', (s) => { s.linux!.namespaces!.push({ type: 'foo' as never }); }, ['/linux/namespaces/5/type namespace-type']],
  ['duplicate namespace', (s) => { s.linux!.namespaces!.push({ type: 'pid', path: '/proc/1/ns/pid' }); }, ['/linux/namespaces/5/type duplicate-namespace']],
  ['relative namespace path', (s) => { s.linux!.namespaces!.push({ type: 'cgroup', path: 'proc/1/ns/cgroup' }); }, ['/linux/namespaces/5/path absolute-path']],
  ['hostname without uts', (s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'); }, ['/hostname hostname-needs-uts']],
  ['domainname without uts', (s) => {
    delete s.hostname;
    s.domainname = 'example';
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts');
  }, ['/domainname hostname-needs-uts']],
  ['uidMappings without user namespace', (s) => { s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, ['/linux/uidMappings mappings-need-user-namespace']],
  ['timeOffsets without time namespace', (s) => { s.linux!.timeOffsets = { monotonic: { secs: 1 } }; }, ['/linux/timeOffsets time-offsets-need-time-namespace']],
  ['net sysctl without netns', (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
    s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  }, ['/linux/sysctl/net.ipv4.ip_forward sysctl-needs-netns']],
  ['ipc sysctls without ipcns', (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
    s.linux!.sysctl = { 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10', 'kernel.pid_max': '1' };
  }, ['/linux/sysctl/fs.mqueue.msg_max sysctl-needs-ipcns', '/linux/sysctl/kernel.shmmax sysctl-needs-ipcns']],
  ['sysctl value not string', (s) => { s.linux!.sysctl = { 'net.core.somaxconn': 5 as never }; }, ['/linux/sysctl/net.core.somaxconn type']],
  ['swap below limit', (s) => { s.linux!.resources!.memory = { limit: 200, swap: 100 }; }, ['/linux/resources/memory/swap memory-swap-ge-limit']],
  ['reservation above limit', (s) => { s.linux!.resources!.memory = { limit: 100, reservation: 200 }; }, ['/linux/resources/memory/reservation memory-limit-ge-reservation']],
  ['swap 0 means unset', (s) => { s.linux!.resources!.memory = { limit: 100, swap: 0 }; }, []],
  ['unlimited swap is fine', (s) => { s.linux!.resources!.memory = { limit: 100, swap: -1, reservation: 50 }; }, []],
  ['pids without limit', (s) => { s.linux!.resources!.pids = {} as never; }, ['/linux/resources/pids/limit required']],
  ['bad device type', (s) => { s.linux!.devices = [{ type: 'x', path: '/dev/x' }]; }, ['/linux/devices/0/type device-type']],
  ['char device without numbers', (s) => { s.linux!.devices = [{ type: 'c', path: '/dev/x' }]; }, ['/linux/devices/0/major device-number', '/linux/devices/0/minor device-number']],
  ['fifo needs no numbers', (s) => { s.linux!.devices = [{ type: 'p', path: '/dev/fifo' }]; }, []],
  ['relative device path', (s) => { s.linux!.devices = [{ type: 'p', path: 'dev/fifo' }]; }, ['/linux/devices/0/path absolute-path']],
  ['duplicate device', (s) => { s.linux!.devices = [{ type: 'p', path: '/dev/f' }, { type: 'p', path: '/dev/f' }]; }, ['/linux/devices/1/path duplicate-device']],
  ['device cgroup bad type', (s) => { s.linux!.resources!.devices = [{ allow: true, type: 'p' }]; }, ['/linux/resources/devices/0/type device-type']],
  ['device cgroup bad access', (s) => { s.linux!.resources!.devices = [{ allow: true, access: 'rwx' }, { allow: true, access: 'rr' }]; }, [
    '/linux/resources/devices/0/access device-access',
    '/linux/resources/devices/1/access device-access',
  ]],
  ['device cgroup allow missing', (s) => { s.linux!.resources!.devices = [{ access: 'rwm' } as never]; }, ['/linux/resources/devices/0/allow required']],
  ['relative masked path', (s) => { s.linux!.maskedPaths!.push('proc/kcore'); }, ['/linux/maskedPaths/10 absolute-path']],
  ['relative readonly path', (s) => { s.linux!.readonlyPaths!.push('sys'); }, ['/linux/readonlyPaths/5 absolute-path']],
  ['bad rootfsPropagation', (s) => { s.linux!.rootfsPropagation = 'everywhere'; }, ['/linux/rootfsPropagation rootfs-propagation']],
  ['bad seccomp', (s) => {
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_NOPE',
      architectures: ['x86_64'],
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' }] }],
    };
  }, [
    '/linux/seccomp/architectures/0 seccomp-arch',
    '/linux/seccomp/defaultAction seccomp-action',
    '/linux/seccomp/listenerPath seccomp-listener',
    '/linux/seccomp/syscalls/0/args/0/op seccomp-operator',
  ]],
  ['seccomp empty names', (s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }; }, ['/linux/seccomp/syscalls/0/names min-items']],
  ['intelRdt memBwSchema', (s) => { s.linux!.intelRdt = { memBwSchema: 'L3:0=f' }; }, ['/linux/intelRdt/memBwSchema pattern']],
  ['relative hook path', (s) => { s.hooks = { createRuntime: [{ path: 'bin/hook' }] }; }, ['/hooks/createRuntime/0/path absolute-path']],
  ['hook env without =', (s) => { s.hooks = { poststart: [{ path: '/bin/hook', env: ['A=1', 'B'] }] }; }, ['/hooks/poststart/0/env/1 env-format']],
  ['hook timeout zero', (s) => { s.hooks = { poststop: [{ path: '/bin/hook', timeout: 0 }] }; }, ['/hooks/poststop/0/timeout range']],
  ['prestart deprecated', (s) => { s.hooks = { prestart: [{ path: '/bin/hook' }] }; }, ['/hooks/prestart deprecated-prestart']],
  ['empty annotation key', (s) => { s.annotations = { '': 'x' }; }, ['/annotations/ annotation-key']],
  ['reserved annotation', (s) => { s.annotations = { 'org.opencontainers.foo': 'x', 'org.opencontainers.image.os': 'linux', 'io.k8s/x': 'y' }; }, ['/annotations/org.opencontainers.foo reserved-annotation']],
  ['annotation value not string', (s) => { s.annotations = { 'a/b': 1 as never }; }, ['/annotations/a~1b type']],
  ['namespace entry without type', (s) => { s.linux!.namespaces = [{} as never]; }, ['/linux/namespaces/0/type required']],
  ['linux not object', (s) => { s.linux = [] as never; }, ['/linux type']],
  ['process not object', (s) => { s.process = 'sh' as never; }, ['/process type']],
];

describe('broken documents', () => {
  it.each(BROKEN)('%s', (_name, mutate, expected) => {
    const spec = valid() as RuntimeSpec & Record<string, unknown>;
    mutate(spec);
    const issues = validateRuntimeSpec(spec);
    expect(summary(issues)).toEqual([...expected].sort());
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(5);
      expect(['MUST', 'SHOULD']).toContain(issue.level);
    }
  });

  it('levels: recommendations are SHOULD, the rest MUST', () => {
    const spec = valid();
    spec.process!.capabilities!.inheritable = [];
    spec.linux!.resources!.memory = { limit: 1, reservation: 2 };
    spec.annotations = { 'org.opencontainers.x': '1' };
    spec.process!.cwd = 'x';
    const levels = Object.fromEntries(validateRuntimeSpec(spec).map((i) => [i.rule, i.level]));
    expect(levels).toEqual({
      'ambient-within-inheritable': 'SHOULD',
      'memory-limit-ge-reservation': 'SHOULD',
      'reserved-annotation': 'SHOULD',
      'absolute-path': 'MUST',
    });
  });

  it.each([null, 1, 'x', [], true, undefined])('never throws on %j', (value) => {
    const issues = validateRuntimeSpec(value);
    expect(summary(issues)).toEqual([' type']);
  });

  it('reports a hostile value instead of throwing', () => {
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    expect(() => validateRuntimeSpec(hostile)).not.toThrow();
  });
});

describe('bundle checks', () => {
  it('accepts a bundle with its rootfs directory', () => {
    const bundle = tempDir();
    mkdirSync(join(bundle, 'rootfs'));
    expect(validateRuntimeSpec(valid(), { bundle })).toEqual([]);
  });

  it('reports a missing rootfs', () => {
    const bundle = tempDir();
    expect(summary(validateRuntimeSpec(valid(), { bundle }))).toEqual(['/root/path root-exists']);
  });

  it('reports a rootfs that is a file', () => {
    const bundle = tempDir();
    writeFileSync(join(bundle, 'rootfs'), '');
    expect(summary(validateRuntimeSpec(valid(), { bundle }))).toEqual(['/root/path root-exists']);
  });

  it('warns when the rootfs is outside the bundle', () => {
    const bundle = tempDir();
    const outside = tempDir();
    const spec = valid();
    spec.root = { path: outside };
    expect(summary(validateRuntimeSpec(spec, { bundle }))).toEqual(['/root/path root-inside-bundle']);
    spec.root = { path: '../elsewhere' };
    expect(summary(validateRuntimeSpec(spec, { bundle }))).toEqual(['/root/path root-exists', '/root/path root-inside-bundle']);
  });

  it('reports a missing bundle', () => {
    expect(summary(validateRuntimeSpec(valid(), { bundle: join(tempDir(), 'nope') }))).toEqual([' bundle-exists']);
  });
});
