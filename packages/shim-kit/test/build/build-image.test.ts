import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageStoreError } from '@shimkit/image-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildFixture } from './build-fixture.js';
import { buildFixture, leftoverRootfs } from './build-fixture.js';

let f: BuildFixture;

beforeAll(async () => {
  f = await buildFixture('build');
});
afterAll(async () => {
  await f?.close();
});

async function fileIn(image: string, path: string): Promise<string> {
  const id = `read-${Math.random().toString(16).slice(2)}`;
  const rootfs = await f.store.createRootfs(id, image);
  try {
    return await readFile(join(rootfs.path, path), 'utf8');
  } finally {
    await f.store.removeRootfs(id);
  }
}

describe('buildImage with runc', () => {
  it('builds FROM, ENV, RUN, COPY, WORKDIR, CMD and reruns nothing when nothing changed', async () => {
    const ctx = await f.context({
      Containerfile: `FROM ${f.images.busybox.reference}\nENV GREETING=hello\nRUN echo "$GREETING from run" > /greeting && mkdir -p /app\nCOPY app.txt /app/\nWORKDIR /app\nCMD ["cat", "app.txt"]\n`,
      'app.txt': 'v1\n',
    });
    const first = await f.build(ctx, { tag: 'example.com/build/five:v1' });
    expect(first).toMatchObject({ stepsRun: 2, stepsCached: 0 });
    expect(first.image.repoTags).toEqual(['example.com/build/five:v1']);
    const config = first.image.config.config!;
    expect(config.Env).toContain('GREETING=hello');
    expect(config.Cmd).toEqual(['cat', 'app.txt']);
    expect(config.WorkingDir).toBe('/app');
    expect(await fileIn('example.com/build/five:v1', 'greeting')).toBe('hello from run\n');
    expect(await fileIn('example.com/build/five:v1', 'app/app.txt')).toBe('v1\n');

    const again = await f.build(ctx, { tag: 'example.com/build/five:v1' });
    expect(again).toMatchObject({ stepsRun: 0, stepsCached: 2 });
    expect(again.image.id).toBe(first.image.id);
    expect(await leftoverRootfs(f.store)).toEqual([]);
  });

  it('a syntax error names the line', async () => {
    const ctx = await f.context({ Containerfile: `FROM ${f.images.busybox.reference}\nRUN true\nFROBNICATE x\n` });
    const e = await f.build(ctx).catch((x: unknown) => x);
    expect(isImageStoreError(e, 'BUILD_SYNTAX')).toBe(true);
    expect((e as Error).message).toBe('Containerfile:3: unknown instruction "FROBNICATE"');
  });

  it('a failing RUN shows its output and exit code and leaves no rootfs, container or image', async () => {
    await f.store.pull(f.images.busybox.reference);
    const before = f.store.list().length;
    const ctx = await f.context({ Containerfile: `FROM ${f.images.busybox.reference}\nRUN echo about to fail; echo on stderr >&2; exit 3\n` });
    const e = await f.build(ctx, { tag: 'example.com/build/fails:v1' }).catch((x: unknown) => x);
    expect(isImageStoreError(e, 'BUILD_STEP_FAILED')).toBe(true);
    expect((e as Error).message).toContain('exited with code 3');
    // runc copies the two streams apart, so their lines may come in either order.
    expect((e as Error).message).toContain('about to fail');
    expect((e as Error).message).toContain('on stderr');
    expect(await leftoverRootfs(f.store)).toEqual([]);
    expect(f.store.list().length).toBe(before);
    expect(f.store.get('example.com/build/fails:v1')).toBeUndefined();
  });

  it('runs RUN as the USER in the WORKDIR with the ENV, network none by default and host when asked', async () => {
    const ctx = await f.context({
      Containerfile: `FROM ${f.images.busybox.reference}\nRUN mkdir /work && chown nobody /work\nUSER nobody\nWORKDIR /work\nENV MARK=m1\nRUN id -un > who && pwd > where && echo $MARK > mark && ls /sys/class/net > nets\nRUN --network=host ls /sys/class/net > hostnets\n`,
    });
    const built = await f.build(ctx);
    expect(await fileIn(built.image.id, 'work/who')).toBe('nobody\n');
    expect(await fileIn(built.image.id, 'work/where')).toBe('/work\n');
    expect(await fileIn(built.image.id, 'work/mark')).toBe('m1\n');
    expect(await fileIn(built.image.id, 'work/nets')).toBe('lo\n');
    expect((await fileIn(built.image.id, 'work/hostnets')).split('\n').length).toBeGreaterThan(2);
  });

  it('stopping a build in a RUN kills it and leaves no container, rootfs or image', async () => {
    await f.store.pull(f.images.busybox.reference);
    const before = f.store.list().length;
    const ctx = await f.context({ Containerfile: `FROM ${f.images.busybox.reference}\nRUN echo started; sleep 60\n` });
    const controller = new AbortController();
    const started = f.build(ctx, { signal: controller.signal, onOutput: () => controller.abort(new Error('stop')) });
    const e = await started.catch((x: unknown) => x);
    expect(isImageStoreError(e, 'ABORTED')).toBe(true);
    expect(await leftoverRootfs(f.store)).toEqual([]);
    expect(f.store.list().length).toBe(before);
    const { execFile } = await import('node:child_process');
    const list = await new Promise<string>((resolve) => execFile('runc', ['--root', join(f.dir, 'runc'), 'list', '-q'], (_e, out) => resolve(out)));
    expect(list.trim()).toBe('');
  });
});
