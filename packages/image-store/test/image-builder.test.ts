import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from '@shimkit/test-bed';
import { createBusyboxRootfs, startRegistry } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';

let registry: Registry;
let work: string;
beforeAll(async () => {
  registry = await startRegistry();
  work = mkdtempSync(join(tmpdir(), `shimkit-build-${process.pid}-`));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await registry?.close();
});

describe('ImageBuilder', () => {
  it('builds from scratch layer by layer; each step runs, pushes and pulls back', async () => {
    const rootfsDir = join(work, 'busybox');
    await createBusyboxRootfs(rootfsDir);
    const store = await ImageStore.open({ root: join(work, 'store') });
    const builder = store.builder({ platform: { architecture: 'amd64', os: 'linux' } });
    const v1 = await builder.addDirectory(rootfsDir).configure({ cmd: ['sh'], env: { PATH: '/bin:/usr/bin' } }).commit('local/app:v1');
    expect(v1.layers).toHaveLength(1);
    const v2 = await builder
      .addFiles([{ path: '/etc/greeting', data: 'hello from layer 2\n' }, { path: 'app/run.sh', data: 'echo "$GREETING"', mode: 0o755 }])
      .configure({ cmd: ['/bin/sh', '/app/run.sh'], env: { GREETING: 'hi' }, workingDir: '/app', labels: { 'org.example': 'yes' }, exposedPorts: ['8080/tcp'], user: '0:0' })
      .commit('local/app:v2', { comment: 'add greeting' });
    expect(v2.layers).toHaveLength(2);
    expect(v2.config.config).toMatchObject({ Cmd: ['/bin/sh', '/app/run.sh'], WorkingDir: '/app', User: '0:0', Labels: { 'org.example': 'yes' }, ExposedPorts: { '8080/tcp': {} } });
    expect(v2.config.config?.Env).toEqual(['PATH=/bin:/usr/bin', 'GREETING=hi']);
    expect(v2.config.history).toHaveLength(2);
    const v3 = await builder.configure({ entrypoint: ['/bin/sh', '-c'] }).commit('local/app:v3');
    expect(v3.layers).toHaveLength(2);
    expect(v3.config.history?.at(-1)?.empty_layer).toBe(true);

    for (const [tag, expected] of [['local/app:v1', undefined], ['local/app:v2', 'hello from layer 2\n']] as const) {
      const id = `build-${tag.slice(-2)}-${process.pid}`;
      const rootfs = await store.createRootfs(id, tag);
      try {
        const out = execFileSync('/usr/sbin/chroot', [rootfs.path, '/bin/sh', '-c', 'cat /etc/greeting 2>/dev/null || echo none']).toString();
        expect(out).toBe(expected ?? 'none\n');
      } finally {
        await store.removeRootfs(id);
      }
    }

    const pushed = await store.push('local/app:v2', `${registry.host}/built/app:v2`);
    expect(pushed).toBe(v2.manifest.digest);
    const other = await ImageStore.open({ root: join(work, 'other') });
    const pulled = await other.pull(`${registry.host}/built/app:v2`);
    expect(pulled.id).toBe(v2.id);
    const rootfs = await other.createRootfs(`pulled-${process.pid}`, pulled.id);
    try {
      expect(execFileSync('/usr/sbin/chroot', [rootfs.path, '/bin/sh', '/app/run.sh'], { env: { GREETING: 'from env' } }).toString()).toBe('from env\n');
    } finally {
      await other.removeRootfs(`pulled-${process.pid}`);
    }
  });

  it('starts from an existing image and refuses bad names', async () => {
    const store = await ImageStore.open({ root: join(work, 'store2') });
    const base = await store.builder().addFiles([{ path: 'a', data: 'a' }]).commit('local/base:1');
    const child = await store.builder({ from: 'local/base:1' }).addFiles([{ path: 'b', data: 'b' }]).commit('local/child:1');
    expect(child.diffIds.slice(0, 1)).toEqual(base.diffIds);
    expect(() => store.builder({ from: 'local/missing:1' })).toThrow(/not in the store/);
    await expect(store.builder().commit('Not A Name')).rejects.toSatisfy((e) => isImageStoreError(e, 'INVALID_ARGUMENT'));
    expect(() => store.builder().addFiles([{ path: '../x', data: '' }])).toThrow(/may not contain/);
  });
});
