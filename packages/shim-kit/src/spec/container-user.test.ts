import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerConfig, SupplementalGroupsPolicy, type DeepPartial } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUserDatabases, requestedUser, supplementaryGroups } from './container-user.js';

const config = (securityContext: DeepPartial<NonNullable<ContainerConfig['linux']>['securityContext']>): ContainerConfig =>
  ContainerConfig.fromPartial({ metadata: { name: 'c' }, linux: { securityContext } });

describe('requestedUser', () => {
  it('builds the user string from run-as user, user name and group', () => {
    expect(requestedUser(config({}))).toBeUndefined();
    expect(requestedUser(config({ runAsUser: { value: 0n } }))).toBe('0');
    expect(requestedUser(config({ runAsUser: { value: 1001n }, runAsGroup: { value: 1002n } }))).toBe('1001:1002');
    expect(requestedUser(config({ runAsUsername: 'nobody', runAsGroup: { value: 7n } }))).toBe('nobody:7');
  });

  it('refuses a run-as group without a user', () => {
    expect(() => requestedUser(config({ runAsGroup: { value: 1002n } }))).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(/run_as_group/) }));
  });
});

describe('supplementaryGroups', () => {
  let rootfs: string;
  beforeAll(async () => {
    rootfs = await mkdtemp(join(tmpdir(), `shimkit-user-${process.pid}-`));
    await mkdir(join(rootfs, 'etc'));
    await mkdir(join(rootfs, 'data'));
    await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    // a link that points out of the root must stay inside it
    await writeFile(join(rootfs, 'data/group'), 'root:x:0:\napp:x:1000:\nextra:x:50000:app,other\nwheel:x:10:root\n');
    await symlink('/data/group', join(rootfs, 'etc/group'));
  });
  afterAll(async () => {
    await rm(rootfs, { recursive: true, force: true });
  });

  const groups = async (userSpec: string, uid: number, gid: number, sc: Parameters<typeof config>[0]) => supplementaryGroups({ uid, gid, userSpec, databases: await readUserDatabases(rootfs), config: config(sc) });

  it('Merge (the default): primary gid, the image memberships of the uid or name, then the requested groups', async () => {
    expect(await groups('1000', 1000, 1000, { supplementalGroups: [1234n] })).toEqual([1000, 50000, 1234]);
    expect(await groups('app:5', 1000, 5, {})).toEqual([5, 50000]);
    expect(await groups('', 0, 0, { supplementalGroups: [10n, 1234n] })).toEqual([0, 10, 1234]);
    expect(await groups('4242', 4242, 0, {})).toEqual([0]);
  });

  it('Strict: primary gid and the requested groups only', async () => {
    expect(await groups('1000', 1000, 1000, { supplementalGroups: [1234n], supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict })).toEqual([1000, 1234]);
    expect(await groups('app', 1000, 1000, { supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict })).toEqual([1000]);
  });

  it('treats missing user databases as empty', async () => {
    const databases = await readUserDatabases(join(rootfs, 'missing'));
    expect(databases).toEqual({});
    expect(supplementaryGroups({ uid: 1, gid: 2, userSpec: '1', databases, config: config({ supplementalGroups: [3n] }) })).toEqual([2, 3]);
  });
});
