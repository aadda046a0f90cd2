// What critest (kubernetes-sigs/cri-tools, pkg/validate/image.go and idempotence.go) checks
// about the image service and idempotent removal, done the same way through the gRPC socket,
// with images built here and pushed to the bed's local registry instead of public ones.
import type { CriClient } from '@shimkit/cri-types';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildImages } from './critest-fixtures.js';
import { useE2eShim, type E2eBed } from './e2e-bed.js';
import { codeOf } from '../cri-fixtures.js';

let bed: E2eBed;
let cri: CriClient;
/** References by what they test. */
const refs: Record<string, string> = {};

/** Pushes busybox images whose config `User` is each of `users`, and one image under three tags. */
function pushImages(): Promise<void> {
  return buildImages(bed, async (store, rootfs) => {
    const host = bed.registry.host;
    const users = { uid: '1002', username: 'www', uidGroup: '1003:50', usernameGroup: 'www:grp' };
    for (const [key, user] of Object.entries(users)) {
      const reference = `${host}/user-${key.toLowerCase()}:1`;
      const built = await store.builder().addDirectory(rootfs).configure({ cmd: ['sh'], user }).commit(reference);
      await store.push(built.id, reference);
      refs[key] = reference;
    }
    const same = await store.builder().addDirectory(rootfs).configure({ cmd: ['sh'], labels: { same: 'yes' } }).commit(`${host}/same:1`);
    for (const tag of ['1', '2', '3']) await store.push(same.id, `${host}/same:${tag}`);
    const latest = await store.builder().addDirectory(rootfs).configure({ cmd: ['sh'], labels: { latest: 'yes' } }).commit(`${host}/untagged:latest`);
    refs.digest = `${host}/untagged@${await store.push(latest.id, `${host}/untagged:latest`)}`;
  });
}

useE2eShim((world) => ({ bed, cri } = world));
beforeAll(() => pushImages(), 120_000);

const status = async (image: string) => (await cri.image.imageStatus({ image: { image } })).image;

/** critest's removeImage: by the id ImageStatus gives, if there is an image. */
async function removeImage(image: string): Promise<void> {
  const found = await status(image);
  if (found !== undefined) await cri.image.removeImage({ image: { image: found.id } });
  expect(await status(image)).toBeUndefined();
}

describe('critest Image Manager', () => {
  it('image with tag, without tag and with digest should be pulled and removed [Conformance]', async () => {
    const tagged = refs.uid as string;
    await cri.image.pullImage({ image: { image: tagged } });
    expect(await status(tagged)).toMatchObject({ repoTags: [tagged] });
    expect((await status(tagged))?.size).toBeGreaterThan(0n);
    await removeImage(tagged);

    const untagged = `${bed.registry.host}/untagged`;
    await cri.image.pullImage({ image: { image: untagged } });
    expect((await status(untagged))?.repoTags).toEqual([`${untagged}:latest`]);
    await removeImage(untagged);

    const digest = refs.digest as string;
    await cri.image.pullImage({ image: { image: digest } });
    expect(await status(digest)).toMatchObject({ repoTags: [], repoDigests: [digest] });
    await removeImage(digest);
  });

  it('image should timeout if requested [Conformance]', async () => {
    expect(await codeOf(cri.image.pullImage({ image: { image: refs.username as string } }, { timeoutMs: 1 }))).toBe('DeadlineExceeded');
  });

  it('image status should support all kinds of references [Conformance]', async () => {
    const name = refs.uidGroup as string;
    await cri.image.pullImage({ image: { image: name } });
    const byName = await status(name);
    expect(byName).toBeDefined();
    expect(await status(byName?.id as string)).toEqual(byName);
    for (const ref of [...(byName?.repoTags ?? []), ...(byName?.repoDigests ?? [])]) expect(await status(ref)).toEqual(byName);
    expect(byName?.repoDigests).toHaveLength(1);
    await removeImage(name);
  });

  it('image status get image fields should not have Uid|Username empty [Conformance]', async () => {
    const expected = { uid: [1002n, ''], username: [undefined, 'www'], uidGroup: [1003n, ''], usernameGroup: [undefined, 'www'] } as const;
    for (const [key, [uid, username]] of Object.entries(expected)) {
      const ref = refs[key] as string;
      await cri.image.pullImage({ image: { image: ref } });
      const image = await status(ref);
      expect([key, image?.uid?.value, image?.username]).toEqual([key, uid, username]);
      await removeImage(ref);
    }
  });

  it('listImage should get exactly 3 repoTags in the result image [Conformance]', async () => {
    const tags = ['1', '2', '3'].map((t) => `${bed.registry.host}/same:${t}`);
    const ids = new Set<string>();
    for (const tag of tags) ids.add((await cri.image.pullImage({ image: { image: tag } })).imageRef);
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const image = (await cri.image.listImages({})).images.find((i) => i.id === id);
    expect([...(image?.repoTags ?? [])].sort()).toEqual(tags);
    await removeImage(tags[0] as string);
    for (const tag of tags) expect(await status(tag)).toBeUndefined();
  });
});

describe('critest Idempotence', () => {
  it('StopPodSandbox, RemovePodSandbox, StopContainer, RemoveContainer and RemoveImage succeed for what is not there', async () => {
    const unknown = '8f14e45f-ceea-467f-a0e6-7d1a9b6a8c0e';
    await cri.runtime.stopPodSandbox({ podSandboxId: unknown });
    await cri.runtime.removePodSandbox({ podSandboxId: unknown });
    await cri.runtime.stopContainer({ containerId: unknown, timeout: 0n });
    await cri.runtime.removeContainer({ containerId: unknown });
    const fakeImageId = '0'.repeat(64);
    await cri.image.removeImage({ image: { image: fakeImageId } });
    await cri.image.removeImage({ image: { image: fakeImageId } });
  });

  it('stops a pod twice, and removes a stopped container twice', async () => {
    await cri.image.pullImage({ image: { image: bed.images.busybox.reference } });
    const { logDirectory: _, ...config } = bed.pod('idempotence', { hostname: '' });
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
    const { containerId } = await cri.runtime.createContainer({
      podSandboxId,
      sandboxConfig: config,
      config: { metadata: { name: 'idempotence-container', attempt: 2 }, image: { image: bed.images.busybox.reference }, command: ['sh', '-c', 'top'], linux: {} },
    });
    await cri.runtime.startContainer({ containerId });
    await cri.runtime.stopContainer({ containerId, timeout: 60n });
    await cri.runtime.stopContainer({ containerId, timeout: 60n });
    await cri.runtime.removeContainer({ containerId });
    await cri.runtime.removeContainer({ containerId });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
  });
});
