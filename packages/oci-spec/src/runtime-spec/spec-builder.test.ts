import { describe, expect, it } from 'vitest';
import { LINUX_CAPABILITIES } from './capabilities.js';
import { defaultLinuxSpec } from './default-linux-spec.js';
import { envName, mergeEnv, RuntimeSpecBuilder } from './spec-builder.js';

const rules = (b: RuntimeSpecBuilder): string[] => b.validate().map((i) => `${i.path} ${i.rule}`);

describe('RuntimeSpecBuilder', () => {
  it('does not modify its base', () => {
    const base = defaultLinuxSpec();
    new RuntimeSpecBuilder(base).setArgs(['x']).addMount({ destination: '/data', type: 'bind', source: '/tmp' });
    expect(base).toEqual(defaultLinuxSpec());
  });

  it('sets process fields', () => {
    const spec = new RuntimeSpecBuilder()
      .setArgs(['/bin/app', '--flag'])
      .setEnv(['PATH=/bin'])
      .setEnvVar('A', '1')
      .setEnvVar('PATH', '/usr/bin')
      .setEnvVar('B', 'x=y')
      .unsetEnvVar('A')
      .setCwd('/work')
      .setUser({ uid: 1000, gid: 1000, additionalGids: [10], umask: 0o22 })
      .setTerminal(false)
      .setNoNewPrivileges(false)
      .setOomScoreAdj(500)
      .setRlimit('RLIMIT_NOFILE', { soft: 4096, hard: 8192 })
      .setRlimit('RLIMIT_NPROC', { soft: 10, hard: 10 })
      .setSecurityLabels({ apparmorProfile: 'cri-default', selinuxLabel: 'system_u:system_r:container_t:s0', mountLabel: 'm' })
      .build();
    expect(spec.process).toMatchObject({
      args: ['/bin/app', '--flag'],
      env: ['PATH=/usr/bin', 'B=x=y'],
      cwd: '/work',
      user: { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o22 },
      terminal: false,
      noNewPrivileges: false,
      oomScoreAdj: 500,
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 8192 }, { type: 'RLIMIT_NPROC', soft: 10, hard: 10 }],
      apparmorProfile: 'cri-default',
      selinuxLabel: 'system_u:system_r:container_t:s0',
    });
    expect(spec.linux?.mountLabel).toBe('m');
  });

  it('adds TERM with a terminal', () => {
    const spec = new RuntimeSpecBuilder().setEnv(['PATH=/bin']).setTerminal(true).build();
    expect(spec.process?.env).toEqual(['PATH=/bin', 'TERM=xterm']);
  });

  it('replaces mounts by destination and removes them', () => {
    const b = new RuntimeSpecBuilder()
      .addMount({ destination: '/dev/shm', type: 'bind', source: '/run/pod/shm', options: ['rbind'] })
      .addMount({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'ro'] });
    const mounts = b.build().mounts ?? [];
    expect(mounts.filter((m) => m.destination === '/dev/shm')).toEqual([{ destination: '/dev/shm', type: 'bind', source: '/run/pod/shm', options: ['rbind'] }]);
    expect(mounts.at(-1)?.destination).toBe('/data');
    const removed = b.removeMount('/dev', { recursive: true }).build().mounts?.map((m) => m.destination);
    expect(removed).toEqual(['/proc', '/sys', '/sys/fs/cgroup', '/data']);
  });

  it('adds, joins and removes namespaces', () => {
    const spec = new RuntimeSpecBuilder()
      .joinNamespace('network', '/var/run/netns/pod1')
      .joinNamespace('ipc', '/proc/42/ns/ipc')
      .addNamespace('cgroup')
      .removeNamespace('uts')
      .setHostname(undefined)
      .build();
    expect(spec.linux?.namespaces).toEqual([
      { type: 'pid' },
      { type: 'mount' },
      { type: 'network', path: '/var/run/netns/pod1' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
      { type: 'cgroup' },
    ]);
    expect(spec.hostname).toBeUndefined();
  });

  it('joins a user namespace with its id mappings; mappings without a user namespace are refused', () => {
    const mapping = [{ containerID: 0, hostID: 1000, size: 65536 }];
    const spec = new RuntimeSpecBuilder().joinNamespace('user', '/run/pod/user').setIdMappings(mapping, mapping).build();
    expect(spec.linux?.namespaces).toContainEqual({ type: 'user', path: '/run/pod/user' });
    expect([spec.linux?.uidMappings, spec.linux?.gidMappings]).toEqual([mapping, mapping]);
    expect(() => new RuntimeSpecBuilder().setIdMappings(mapping, mapping).build({ validate: true })).toThrow(/uidMappings need a user namespace/);
  });

  it('merges resources and sets the cgroups path', () => {
    const spec = new RuntimeSpecBuilder()
      .setResources({ memory: { limit: 1 << 30 }, cpu: { shares: 512 } })
      .setResources({ memory: { swap: 1 << 30 }, cpu: { quota: 50_000, period: 100_000 }, pids: { limit: 100 } })
      .setCgroupsPath('/kubepods/pod1/ctr1')
      .build();
    expect(spec.linux?.resources).toEqual({
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 1 << 30, swap: 1 << 30 },
      cpu: { shares: 512, quota: 50_000, period: 100_000 },
      pids: { limit: 100 },
    });
    expect(spec.linux?.cgroupsPath).toBe('/kubepods/pod1/ctr1');
  });

  it('adds and drops capabilities by Kubernetes-style names', () => {
    const b = new RuntimeSpecBuilder().setCapabilities(['chown', 'CAP_KILL']).addCapabilities(['NET_ADMIN']).dropCapabilities(['kill']);
    const caps = b.build().process?.capabilities;
    expect(caps?.bounding).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN']);
    expect(caps?.effective).toEqual(caps?.bounding);
    expect(caps?.permitted).toEqual(caps?.bounding);
    expect(caps?.inheritable).toBeUndefined();
    expect(caps?.ambient).toBeUndefined();
    expect(rules(b)).toEqual([]);
    expect(new RuntimeSpecBuilder().dropCapabilities(['ALL']).build().process?.capabilities).toEqual({
      bounding: [], effective: [], permitted: [], ambient: [],
    });
    expect(() => new RuntimeSpecBuilder().addCapabilities(['FLY'])).toThrow(/unknown capabilities: CAP_FLY/);
  });

  it('makes a privileged container', () => {
    const spec = new RuntimeSpecBuilder().setPrivileged().build();
    expect(spec.process?.capabilities?.bounding).toEqual(LINUX_CAPABILITIES);
    expect(spec.linux?.maskedPaths).toBeUndefined();
    expect(spec.linux?.readonlyPaths).toBeUndefined();
    expect(spec.linux?.resources?.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(spec.mounts?.find((m) => m.destination === '/sys')?.options).toContain('rw');
    expect(spec.mounts?.find((m) => m.destination === '/sys')?.options).not.toContain('ro');
    expect(spec.process?.apparmorProfile).toBe('unconfined');
  });

  it('sets security and misc fields', () => {
    const spec = new RuntimeSpecBuilder()
      .setReadonlyRootfs(false)
      .setRoot('/var/lib/x/rootfs', { readonly: true })
      .setMaskedPaths(['/proc/kcore'])
      .setReadonlyPaths(['/proc/sys'])
      .setSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] })
      .setSysctls({ 'net.ipv4.ip_forward': '1' })
      .setSysctls({ 'kernel.shmmax': '1000' })
      .addHook('createRuntime', { path: '/usr/bin/hook', args: ['hook', 'x'], timeout: 5 })
      .addHook('createRuntime', { path: '/usr/bin/hook2' })
      .setAnnotations({ 'io.kubernetes.cri.container-type': 'container' })
      .addDevice({ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666 })
      .setHostname('pod')
      .build();
    expect(spec.root).toEqual({ path: '/var/lib/x/rootfs', readonly: true });
    expect(spec.linux?.maskedPaths).toEqual(['/proc/kcore']);
    expect(spec.linux?.readonlyPaths).toEqual(['/proc/sys']);
    expect(spec.linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(spec.linux?.sysctl).toEqual({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' });
    expect(spec.hooks?.createRuntime?.map((h) => h.path)).toEqual(['/usr/bin/hook', '/usr/bin/hook2']);
    expect(spec.annotations).toEqual({ 'io.kubernetes.cri.container-type': 'container' });
    expect(spec.linux?.devices).toEqual([{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666 }]);
    expect(spec.linux?.resources?.devices?.at(-1)).toEqual({ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
    expect(new RuntimeSpecBuilder().setSeccomp(undefined).build().linux?.seccomp).toBeUndefined();
  });

  it('rejects bad arguments with INVALID_ARGUMENT', () => {
    const b = new RuntimeSpecBuilder();
    const bad: (() => unknown)[] = [
      () => b.setCwd('rel'),
      () => b.addMount({ destination: 'rel' }),
      () => b.joinNamespace('network', 'netns'),
      () => b.setMaskedPaths(['proc']),
      () => b.setReadonlyPaths(['proc']),
      () => b.addHook('poststop', { path: 'hook' }),
      () => b.setOomScoreAdj(2000),
      () => b.setEnvVar('A=B', 'x'),
      () => b.setEnvVar('', 'x'),
    ];
    for (const call of bad) expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('build({ validate: true }) throws on MUST issues only', () => {
    expect(() => new RuntimeSpecBuilder().build({ validate: true })).not.toThrow();
    const b = new RuntimeSpecBuilder().removeNamespace('network').setSysctls({ 'net.core.somaxconn': '1' });
    expect(() => b.build({ validate: true })).toThrow(expect.objectContaining({ code: 'INVALID_RUNTIME_SPEC' }));
  });

  it('update applies arbitrary changes', () => {
    expect(new RuntimeSpecBuilder().update((s) => { s.domainname = 'd'; }).build().domainname).toBe('d');
  });

  it('starts a process when the base has none', () => {
    const spec = new RuntimeSpecBuilder({ ociVersion: '1.2.0' }).setArgs(['x']).build();
    expect(spec.process).toEqual({ user: { uid: 0, gid: 0 }, cwd: '/', args: ['x'] });
  });
});

describe('env helpers', () => {
  it('mergeEnv replaces in place and appends', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A=5'])).toEqual(['A=5', 'B=3', 'C=4']);
    expect(envName('NOEQ')).toBe('NOEQ');
  });
});
