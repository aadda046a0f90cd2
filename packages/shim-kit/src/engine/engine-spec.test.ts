import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSpec, type EngineSpecInput } from './engine-spec.js';

let rootfs: string;
beforeAll(async () => {
  rootfs = await mkdtemp(join(tmpdir(), 'run-spec-'));
  await mkdir(join(rootfs, 'etc'));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nweb:x:33:34::/var/www:/bin/sh\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nweb:x:34:\n');
});
afterAll(async () => {
  await rm(rootfs, { recursive: true });
});

const input = (extra: Partial<EngineSpecInput> = {}): EngineSpecInput => ({
  id: 'c1', image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Cmd: ['sh'], Env: ['PATH=/bin'] } }, rootfs, network: 'none', hostname: 'c1host', cgroupsPath: '/shimkit/c1', ...extra,
});

describe('engineSpec', () => {
  it('takes the image command, replaced by the command or the entrypoint', async () => {
    expect((await engineSpec(input())).process?.args).toEqual(['sh']);
    expect((await engineSpec(input({ command: ['echo', 'hi'] }))).process?.args).toEqual(['echo', 'hi']);
    expect((await engineSpec(input({ entrypoint: ['ls'] }))).process?.args).toEqual(['ls']);
    expect((await engineSpec(input({ entrypoint: ['ls'], command: ['-l'] }))).process?.args).toEqual(['ls', '-l']);
  });

  it('refuses an image and a request without a command', async () => {
    await expect(engineSpec(input({ image: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} } }))).rejects.toThrow('no command given and the image has none');
  });

  it('resolves users by name from the rootfs and refuses unknown ones', async () => {
    expect((await engineSpec(input({ user: 'web' }))).process?.user).toMatchObject({ uid: 33, gid: 34 });
    await expect(engineSpec(input({ user: 'ghost' }))).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('ghost') });
  });

  it('sets the hostname, env, limits, read-only root with tmpfs dirs, volumes and the network namespace', async () => {
    const spec = await engineSpec(input({ env: ['A=1'], memoryBytes: 64 << 20, cpus: { quota: 50_000, period: 100_000 }, readOnly: true, volumes: [{ source: '/srv', destination: '/data', readonly: true }], network: 'bridge', netnsPath: '/run/x/netns/c1' }));
    expect(spec.hostname).toBe('c1host');
    expect(spec.process?.env).toEqual(expect.arrayContaining(['PATH=/bin', 'HOSTNAME=c1host', 'A=1']));
    expect(spec.linux?.resources).toMatchObject({ memory: { limit: 64 << 20 }, cpu: { quota: 50_000, period: 100_000 } });
    expect(spec.root).toEqual({ path: rootfs, readonly: true });
    expect(spec.mounts?.filter((m) => m.type === 'tmpfs' && ['/tmp', '/var/tmp', '/run'].includes(m.destination))).toHaveLength(3);
    expect(spec.mounts).toContainEqual({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'rprivate', 'ro'] });
    expect(spec.linux?.namespaces).toContainEqual({ type: 'network', path: '/run/x/netns/c1' });
    expect(spec.linux?.cgroupsPath).toBe('/shimkit/c1');
  });

  it('mounts volumes parents first', async () => {
    const spec = await engineSpec(input({ volumes: [{ source: '/x', destination: '/a/b', readonly: false }, { source: '/y', destination: '/a', readonly: false }] }));
    expect(spec.mounts?.filter((m) => m.type === 'bind' && m.destination.startsWith('/a')).map((m) => m.destination)).toEqual(['/a', '/a/b']);
  });

  it('shares the host network with --network host', async () => {
    const spec = await engineSpec(input({ network: 'host' }));
    expect(spec.linux?.namespaces?.map((n) => n.type)).not.toContain('network');
  });

  it('refuses unknown capabilities', async () => {
    await expect(engineSpec(input({ capAdd: ['FLY'] }))).rejects.toThrow('--cap-add: unknown capability "FLY"');
    await expect(engineSpec(input({ capDrop: ['cap_nope'] }))).rejects.toThrow('--cap-drop: unknown capability "cap_nope"');
  });
});
