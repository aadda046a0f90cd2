import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCniError } from './cni-error.js';
import { createNetns, isMountPoint, removeNetns, usernsPinOf } from './netns.js';
import { testHelper as helper } from './test-network.test-helper.js';

describe('pinned network namespaces', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-netns-${process.pid}-`));
  });
  afterEach(async () => {
    await removeNetns(join(dir, 'ns'), { helper }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a namespace distinct from the host one, and removes it idempotently', async () => {
    const path = join(dir, 'ns');
    await createNetns(path, { helper });
    expect(await isMountPoint(path)).toBe(true);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    const line = mountinfo.split('\n').find((l) => l.split(' ')[4] === path) ?? '';
    expect(line).toContain('nsfs');
    await removeNetns(path, { helper });
    expect(await isMountPoint(path)).toBe(false);
    await removeNetns(path, { helper });
  });

  it('refuses an existing file and a missing dir, naming the path', async () => {
    const path = join(dir, 'taken');
    await writeFile(path, '');
    const err = await createNetns(path, { helper }).catch((e: unknown) => e);
    expect(isCniError(err, 'NetnsFailed')).toBe(true);
    expect(String(err)).toContain(`${path}: it already exists`);
    const missing = join(dir, 'no', 'such', 'ns');
    expect(String(await createNetns(missing, { helper }).catch((e: unknown) => e))).toContain(missing);
  });

  it('makes the namespace inside a new user namespace pinned beside it, and removes both', async () => {
    const path = join(dir, 'ns');
    const mapping = [{ containerId: 0, hostId: 200000, length: 65536 }];
    const userns = await createNetns(path, { helper, userNamespace: { uidMappings: mapping, gidMappings: mapping } });
    expect(userns).toBe(usernsPinOf(path));
    const inside = execFileSync('nsenter', [`--user=${usernsPinOf(path)}`, `--net=${path}`, 'sh', '-c', 'tr -s " " < /proc/self/uid_map; ip link set lo up && echo administered'], { encoding: 'utf8' });
    expect(inside.split('\n').map((l) => l.trim())).toEqual(['0 200000 65536', 'administered', '']);
    await removeNetns(path, { helper });
    expect(await isMountPoint(path)).toBe(false);
    expect(await isMountPoint(usernsPinOf(path))).toBe(false);
    await expect(readFile(usernsPinOf(path))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a namespace that cannot be made leaves no file behind', async () => {
    const broken = new HostHelper({ binary: join(dir, 'no-helper') });
    const path = join(dir, 'ns');
    const err = await createNetns(path, { helper: broken }).catch((e: unknown) => e);
    expect(isCniError(err, 'NetnsFailed')).toBe(true);
    expect(String(err)).toContain('no-helper');
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    const overlapping = [{ containerId: 0, hostId: 1000, length: 10 }, { containerId: 5, hostId: 2000, length: 10 }];
    const refused = await createNetns(path, { helper, userNamespace: { uidMappings: overlapping, gidMappings: overlapping } }).catch((e: unknown) => e);
    expect(String(refused)).toContain('uid_map');
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(usernsPinOf(path))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
