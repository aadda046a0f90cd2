import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeImageBackend } from './fake-image-backend.js';

describe('FakeImageBackend', () => {
  it('pulls any valid name with a stable id, finds it by name, id or digest, and removes by name or id', async () => {
    const fake = new FakeImageBackend();
    const a = await fake.pull('busybox');
    expect(a.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await fake.pull('docker.io/library/busybox:latest')).id).toBe(a.id);
    expect((await fake.status(a.id))?.repoTags).toEqual(['docker.io/library/busybox:latest']);
    expect((await fake.status(a.id.slice(7)))?.id).toBe(a.id);
    expect((await fake.status(a.repoDigests[0] ?? ''))?.id).toBe(a.id);
    await fake.remove('busybox');
    expect(await fake.status('busybox')).toBeUndefined();
    await fake.remove('busybox');
    const b = await fake.pull('alpine:3');
    await fake.remove(b.id);
    expect(await fake.list()).toEqual([]);
  });

  it('in strict mode pulls only known images, and checks credentials (user/password or auth)', async () => {
    const fake = new FakeImageBackend({ strict: true });
    fake.addRemote('registry.local/private/app:1', { auth: { username: 'u', password: 'p' } });
    await expect(fake.pull('alpine')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(fake.pull('registry.local/private/app:1')).rejects.toMatchObject({ code: 'Unauthenticated' });
    await expect(fake.pull('registry.local/private/app:1', { auth: { username: 'u', password: 'wrong' } })).rejects.toMatchObject({ code: 'Unauthenticated' });
    await expect(fake.pull('registry.local/private/app:1', { auth: { auth: Buffer.from('u:p').toString('base64') } })).resolves.toMatchObject({ repoTags: ['registry.local/private/app:1'] });
    expect(fake.callsTo('pull')).toHaveLength(4);
  });

  it('prepares rootfs directories under rootfsDir and releases them idempotently', async () => {
    const dir = await mkdtemp(join(tmpdir(), `shimkit-fakeimg-${process.pid}-`));
    try {
      const fake = new FakeImageBackend({ rootfsDir: dir });
      const image = await fake.pull('busybox');
      await expect(fake.prepareRootfs('c1', 'sha256:unknown')).rejects.toMatchObject({ code: 'NotFound' });
      const { path } = await fake.prepareRootfs('c1', image.id);
      expect((await stat(path)).isDirectory()).toBe(true);
      await expect(fake.prepareRootfs('c1', image.id)).rejects.toMatchObject({ code: 'AlreadyExists' });
      await fake.releaseRootfs('c1');
      await fake.releaseRootfs('c1');
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await fake.fsInfo()).images[0]?.usedBytes).toBe(image.size);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
