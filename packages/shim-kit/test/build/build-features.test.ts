import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildTar, isImageStoreError } from '@shimkit/image-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildFixture } from './build-fixture.js';
import { buildFixture, leftoverRootfs } from './build-fixture.js';

let f: BuildFixture;
let base: string;

beforeAll(async () => {
  f = await buildFixture('build-features');
  base = f.images.busybox.reference;
});
afterAll(async () => {
  await f?.close();
});

/** Runs `check` on the rootfs of `image`, mounted for the call. */
async function inImage<T>(image: string, check: (root: string) => Promise<T>): Promise<T> {
  const id = `check-${Math.random().toString(16).slice(2)}`;
  const rootfs = await f.store.createRootfs(id, image);
  try {
    return await check(rootfs.path);
  } finally {
    await f.store.removeRootfs(id);
  }
}

const failure = (p: Promise<unknown>): Promise<Error> => p.then(() => new Error('did not fail'), (e: Error) => e);

describe('Containerfile features', () => {
  it('multi-stage: COPY --from a stage, FROM a stage, --target', async () => {
    const ctx = await f.context({
      Containerfile: `FROM ${base} AS builder\nRUN echo compiled > /artifact\n\nFROM scratch AS final\nCOPY --from=builder /artifact /bin/artifact\n\nFROM builder AS extended\nRUN echo more >> /artifact\n`,
    });
    const last = await f.build(ctx, { tag: 'example.com/stages/extended:v1' });
    expect(await inImage(last.image.id, (r) => readFile(join(r, 'artifact'), 'utf8'))).toBe('compiled\nmore\n');
    const final = await f.build(ctx, { tag: 'example.com/stages/final:v1', target: 'final' });
    expect(final.image.layers).toHaveLength(1);
    expect(await inImage(final.image.id, (r) => readFile(join(r, 'bin/artifact'), 'utf8'))).toBe('compiled\n');
    expect((await failure(f.build(ctx, { target: 'nope' }))).message).toContain('--target nope: no such stage');
  });

  it('COPY --from an image not built here, and never out of a stage through its symlinks', async () => {
    const fromImage = await f.build(await f.context({ Containerfile: `FROM scratch\nCOPY --from=${base} /bin/busybox /busybox\n` }));
    expect(await inImage(fromImage.image.id, async (r) => (await lstat(join(r, 'busybox'))).size)).toBeGreaterThan(100_000);
    const evil = await f.context({ Containerfile: `FROM ${base} AS evil\nRUN ln -s / /host\nFROM scratch\nCOPY --from=evil /host/etc/hostname /stolen\n` });
    const e = await failure(f.build(evil));
    expect(e.message).toBe('line 4: COPY: host/etc/hostname leads outside the image of --from=evil');
    expect(await leftoverRootfs(f.store)).toEqual([]);
  });

  it('ARG: global ARGs in FROM, stage defaults, --build-arg, and a changed build arg reruns the RUN that sees it', async () => {
    const ctx = await f.context({
      Containerfile: `ARG BASE=${base}\nFROM $BASE\nARG FLAVOUR=plain\nARG UNUSED\nRUN echo "$FLAVOUR \${UNUSED:-none}" > /flavour\nENV SEEN=\${FLAVOUR}\n`,
    });
    const plain = await f.build(ctx);
    expect(await inImage(plain.image.id, (r) => readFile(join(r, 'flavour'), 'utf8'))).toBe('plain none\n');
    expect(plain.image.config.config?.Env).toContain('SEEN=plain');
    const spicy = await f.build(ctx, { buildArgs: { FLAVOUR: 'spicy' } });
    expect(spicy.stepsRun).toBe(1);
    expect(await inImage(spicy.image.id, (r) => readFile(join(r, 'flavour'), 'utf8'))).toBe('spicy none\n');
    expect((await f.build(ctx, { buildArgs: { FLAVOUR: 'spicy' } })).stepsCached).toBe(1);
    // ARG values are not kept in the image config.
    expect(spicy.image.config.config?.Env?.some((e) => e.startsWith('FLAVOUR='))).toBe(false);
  });

  it('.containerignore and globs choose what COPY takes; a changed input reruns from its COPY only', async () => {
    const ctx = await f.context({
      Containerfile: `FROM ${base}\nRUN echo before > /before\nCOPY *.txt /docs/\nCOPY src /src\nRUN ls -R /src /docs > /listing\n`,
      '.containerignore': 'secret.txt\nsrc/**/*.tmp\n',
      'a.txt': 'a',
      'b.txt': 'b',
      'secret.txt': 'no',
      'src/main.c': 'int main;',
      'src/deep/x.tmp': 'tmp',
      'src/deep/keep.h': 'h',
    });
    const first = await f.build(ctx);
    expect(first.stepsRun).toBe(4);
    const listing = await inImage(first.image.id, (r) => readFile(join(r, 'listing'), 'utf8'));
    expect(listing).toContain('a.txt');
    expect(listing).toContain('keep.h');
    expect(listing).not.toContain('secret.txt');
    expect(listing).not.toContain('x.tmp');
    // An ignored file changing changes nothing.
    await writeFile(join(ctx, 'secret.txt'), 'still no');
    expect(await f.build(ctx)).toMatchObject({ stepsRun: 0, stepsCached: 4 });
    await writeFile(join(ctx, 'src/main.c'), 'int main(void);');
    expect(await f.build(ctx)).toMatchObject({ stepsRun: 2, stepsCached: 2 });
  });

  it('COPY --chown by name and --chmod; ADD unpacks a local tar through the layer applier', async () => {
    const archive = gzipSync(buildTar([
      { path: 'pkg/', type: 'directory', mode: 0o750 },
      { path: 'pkg/tool', type: 'file', data: '#!/bin/sh\n', mode: 0o755, uid: 5, gid: 6 },
      { path: 'pkg/link', type: 'symlink', linkname: 'tool' },
    ]));
    const ctx = await f.context({
      Containerfile: `FROM ${base}\nCOPY --chown=nobody:nogroup --chmod=600 conf /etc/app.conf\nADD pkg.tar.gz /opt/\nADD plain.txt /opt/plain.txt\n`,
      conf: 'x=1\n',
      'plain.txt': 'not an archive\n',
    });
    await writeFile(join(ctx, 'pkg.tar.gz'), archive);
    const built = await f.build(ctx);
    await inImage(built.image.id, async (r) => {
      const passwd = await readFile(join(r, 'etc/passwd'), 'utf8');
      const nobody = passwd.split('\n').find((l) => l.startsWith('nobody:'))!.split(':');
      const conf = await lstat(join(r, 'etc/app.conf'));
      expect([conf.uid, conf.gid, conf.mode & 0o7777]).toEqual([Number(nobody[2]), Number(nobody[3]), 0o600]);
      const tool = await lstat(join(r, 'opt/pkg/tool'));
      expect([tool.uid, tool.gid, tool.mode & 0o7777]).toEqual([5, 6, 0o755]);
      expect(await readlink(join(r, 'opt/pkg/link'))).toBe('tool');
      expect(await readFile(join(r, 'opt/plain.txt'), 'utf8')).toBe('not an archive\n');
    });
  });

  it('ADD refuses an archive entry that climbs out, leaving nothing behind', async () => {
    const ctx = await f.context({ Containerfile: `FROM ${base}\nADD evil.tar /opt/\n` });
    await writeFile(join(ctx, 'evil.tar'), buildTar([{ path: '../../escape', type: 'file', data: 'x' }]));
    const before = f.store.list().length;
    const e = await failure(f.build(ctx));
    expect(isImageStoreError(e, 'LAYER_UNSAFE_PATH')).toBe(true);
    expect(await leftoverRootfs(f.store)).toEqual([]);
    expect(f.store.list().length).toBe(before);
  });

  it('ADD of a URL (a server on 127.0.0.1) downloads it 0600 and unpacked never; an error status fails the step', async () => {
    const archive = gzipSync(buildTar([{ path: 'inside', type: 'file', data: 'x' }]));
    const server = createServer((req, res) => {
      if (req.url === '/files/tool.tar.gz') {
        res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end(archive);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ctx = await f.context({ Containerfile: `FROM ${base}\nADD ${url}/files/tool.tar.gz /downloads/\nADD ${url}/files/tool.tar.gz /named.tgz\n` });
      const built = await f.build(ctx);
      await inImage(built.image.id, async (r) => {
        const st = await lstat(join(r, 'downloads/tool.tar.gz'));
        expect([st.mode & 0o7777, st.size, st.mtime.toISOString()]).toEqual([0o600, archive.length, '2015-10-21T07:28:00.000Z']);
        expect((await lstat(join(r, 'named.tgz'))).size).toBe(archive.length);
      });
      expect(await f.build(ctx)).toMatchObject({ stepsRun: 0, stepsCached: 2 });
      const missing = await f.context({ Containerfile: `FROM ${base}\nADD ${url}/nothing /x\n` });
      expect((await failure(f.build(missing))).message).toBe(`line 2: ADD: ${url}/nothing answered 404 Not Found`);
      expect(await leftoverRootfs(f.store)).toEqual([]);
      expect((await readdir(f.store.root)).filter((n) => n.startsWith('.archive-'))).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('VOLUME, STOPSIGNAL, SHELL, HEALTHCHECK, EXPOSE, LABEL, USER and ONBUILD go into the config; ONBUILD runs in a child build', async () => {
    const ctx = await f.context({
      Containerfile: `FROM ${base}\nSHELL ["/bin/sh", "-ec"]\nVOLUME ["/data", "/logs"]\nSTOPSIGNAL SIGQUIT\nHEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD wget -q localhost || exit 1\nEXPOSE 80 443/tcp 53/udp\nLABEL a=1 "b c"="d e"\nUSER 1000:1000\nONBUILD RUN echo triggered > /tmp/onbuild\nCMD echo hi\n`,
    });
    const parent = await f.build(ctx, { tag: 'example.com/config/parent:v1' });
    const c = parent.image.config.config!;
    expect(c.Shell).toEqual(['/bin/sh', '-ec']);
    expect(c.Volumes).toEqual({ '/data': {}, '/logs': {} });
    expect(c.StopSignal).toBe('SIGQUIT');
    expect(c.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'wget -q localhost || exit 1'], Interval: 5e9, Timeout: 90e9, Retries: 3 });
    expect(c.ExposedPorts).toEqual({ '80/tcp': {}, '443/tcp': {}, '53/udp': {} });
    expect(c.Labels).toEqual({ a: '1', 'b c': 'd e' });
    expect(c.User).toBe('1000:1000');
    expect(c.OnBuild).toEqual(['RUN echo triggered > /tmp/onbuild']);
    expect(c.Cmd).toEqual(['/bin/sh', '-ec', 'echo hi']);
    expect(parent.image.layers).toHaveLength(1);

    const childCtx = await f.context({ Containerfile: 'FROM example.com/config/parent:v1\nUSER 0\n' });
    const child = await f.build(childCtx);
    expect(child.image.config.config?.OnBuild).toBeUndefined();
    expect(await inImage(child.image.id, (r) => readFile(join(r, 'tmp/onbuild'), 'utf8'))).toBe('triggered\n');
  });

  it('WORKDIR makes its directory when the image lacks it, and adds no layer when it has it', async () => {
    const made = await f.build(await f.context({ Containerfile: `FROM ${base}\nWORKDIR /new/dir\nCMD ["pwd"]\n` }));
    expect(made.image.layers).toHaveLength(2);
    const st = await inImage(made.image.id, (r) => lstat(join(r, 'new/dir')));
    expect([st.isDirectory(), st.mode & 0o7777, st.uid]).toEqual([true, 0o755, 0]);
    const kept = await f.build(await f.context({ Containerfile: `FROM ${base}\nWORKDIR /bin\nCMD ["pwd"]\n` }));
    expect(kept.image.layers).toHaveLength(1);
    expect(kept.image.config.history?.length).toBe(kept.image.config.history!.filter((h) => h.empty_layer).length + 1);
  });

  it('--no-cache runs every step; gc({ pruneUnnamed }) empties the cache', async () => {
    const ctx = await f.context({ Containerfile: `FROM ${base}\nRUN echo one > /one\nRUN echo two > /two\n` });
    await f.build(ctx, { tag: 'example.com/cache/kept:v1' });
    expect(await f.build(ctx, { noCache: true })).toMatchObject({ stepsRun: 2, stepsCached: 0 });
    expect(await f.build(ctx)).toMatchObject({ stepsRun: 0, stepsCached: 2 });
    const gc = await f.store.gc({ pruneUnnamed: true });
    expect(gc.removedSnapshots).toBeGreaterThan(0);
    expect(f.store.get('example.com/cache/kept:v1')).toBeDefined();
    expect(f.store.list().every((r) => r.repoTags.length > 0 || r.repoDigests.length > 0)).toBe(true);
    expect(await f.build(ctx)).toMatchObject({ stepsRun: 2, stepsCached: 0 });
    expect(await leftoverRootfs(f.store)).toEqual([]);
  });

  it('bad input: a missing source, a path out of the context, an unknown --from, heredocs, a bad --chmod', async () => {
    const cases: [string, string][] = [
      [`FROM ${base}\nCOPY missing.txt /\n`, 'line 2: COPY: "missing.txt" is not in the build context'],
      [`FROM ${base}\nCOPY ../outside /\n`, 'line 2: COPY: "../outside" is outside the build context'],
      [`FROM ${base}\nCOPY nomatch*.txt /\n`, 'line 2: COPY: no file in the build context matches "nomatch*.txt"'],
      [`FROM ${base}\nRUN <<EOF\necho hi\nEOF\n`, 'Containerfile:2: RUN: here-documents are not supported'],
      [`FROM ${base}\nCOPY --chmod=rwx Containerfile /\n`, 'line 2: COPY: --chmod=rwx is not an octal mode'],
      [`FROM ${base}\nCOPY --form=x a /\n`, 'Containerfile:2: COPY has no flag --form'],
      [`RUN true\n`, 'Containerfile:1: RUN before the first FROM (only ARG may come before it)'],
      [`FROM ${base}\nEXPOSE 80/http\n`, 'line 2: EXPOSE: invalid port "80/http"'],
    ];
    for (const [text, message] of cases) {
      const ctx = await f.context({ Containerfile: text });
      expect((await failure(f.build(ctx))).message).toBe(message);
    }
    expect(await leftoverRootfs(f.store)).toEqual([]);
  });
});
