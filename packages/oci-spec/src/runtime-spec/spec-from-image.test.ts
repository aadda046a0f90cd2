import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asRoot } from '@shimkit/test-bed';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImageConfig } from '../image/image-config.js';
import { digestOf } from '../image/digest.js';
import { readFileInRoot } from './read-in-root.js';
import { serializeRuntimeSpec } from './parse-runtime-spec.js';
import { containerBaseSpec, imageAnnotations, processArgs, specFromImage, specFromImageConfig } from './spec-from-image.js';
import { validateRuntimeSpec } from './validate-runtime-spec.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), `oci-spec-image-${process.pid}-`));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rootfs(options: { linkedPasswd?: boolean } = {}): string {
  const root = join(tempDir(), 'rootfs');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
  if (options.linkedPasswd === true) {
    mkdirSync(join(root, 'usr/share/base'), { recursive: true });
    writeFileSync(join(root, 'usr/share/base/passwd'), passwd);
    symlinkSync('/usr/share/base/passwd', join(root, 'etc/passwd'));
  } else {
    writeFileSync(join(root, 'etc/passwd'), passwd);
  }
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app\nvideo:x:44:root,app\n');
  return root;
}

function image(config: ImageConfig['config'] = {}): ImageConfig {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    author: 'me',
    rootfs: { type: 'layers', diff_ids: [digestOf('x')] },
    config,
  };
}

describe('processArgs (containerd rules)', () => {
  it.each([
    [['/ep'], ['cmd'], {}, ['/ep', 'cmd']],
    [['/ep'], ['cmd'], { args: ['a'] }, ['/ep', 'a']],
    [['/ep'], ['cmd'], { command: ['/c'] }, ['/c']],
    [['/ep'], ['cmd'], { command: ['/c'], args: ['a'] }, ['/c', 'a']],
    [undefined, ['cmd', 'x'], {}, ['cmd', 'x']],
    [['/ep'], undefined, {}, ['/ep']],
    [[''], ['cmd'], {}, ['cmd']],
    [['/ep'], ['cmd'], { command: [], args: [] }, ['/ep', 'cmd']],
    [['/ep'], ['cmd'], { command: [], args: ['a'] }, ['/ep', 'a']],
  ] as const)('%j + %j + %j -> %j', (ep, cmd, overrides, expected) => {
    expect(processArgs(ep, cmd, overrides)).toEqual(expected);
  });

  it('fails with NO_COMMAND when nothing is given', () => {
    expect(() => processArgs(undefined, undefined)).toThrow(expect.objectContaining({ code: 'NO_COMMAND' }));
    expect(() => processArgs([''], [])).toThrow(expect.objectContaining({ code: 'NO_COMMAND' }));
  });
});

describe('specFromImage', () => {
  it('applies the conversion rules', async () => {
    const spec = await specFromImage(
      image({
        User: 'app',
        Env: ['PATH=/app/bin', 'FOO=image'],
        Entrypoint: ['/bin/app'],
        Cmd: ['serve'],
        WorkingDir: '/srv',
        Labels: { 'org.opencontainers.image.os': 'from-label', team: 'x' },
        StopSignal: 'SIGQUIT',
        ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      }),
      { rootfs: rootfs(), env: { FOO: 'override', EXTRA: '1' }, annotations: { team: 'y' } },
    );
    expect(spec.process?.args).toEqual(['/bin/app', 'serve']);
    expect(spec.process?.env).toEqual(['PATH=/app/bin', 'FOO=override', 'EXTRA=1']);
    expect(spec.process?.cwd).toBe('/srv');
    expect(spec.process?.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 44] });
    expect(spec.process?.terminal).toBe(false);
    expect(spec.annotations).toEqual({
      'org.opencontainers.image.os': 'from-label',
      'org.opencontainers.image.architecture': 'amd64',
      'org.opencontainers.image.author': 'me',
      'org.opencontainers.image.created': '2024-01-01T00:00:00Z',
      'org.opencontainers.image.stopSignal': 'SIGQUIT',
      'org.opencontainers.image.exposedPorts': '80/tcp,53/udp',
      team: 'y',
    });
    expect(validateRuntimeSpec(spec)).toEqual([]);
  });

  it('defaults: root user, / as cwd, base PATH', async () => {
    const spec = await specFromImage(image({ Cmd: ['sh'] }));
    expect(spec.process).toMatchObject({ args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } });
    expect(spec.process?.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
    expect(spec.hostname).toBeUndefined();
  });

  it('overrides: command, args, cwd, user, terminal, no labels', async () => {
    const spec = await specFromImage(image({ Entrypoint: ['/ep'], Cmd: ['c'], Labels: { a: 'b' }, User: 'app' }), {
      rootfs: rootfs(),
      rootPath: 'rootfs',
      command: ['/bin/other'],
      cwd: 'relative',
      user: '1000:10',
      terminal: true,
      labelsAsAnnotations: false,
    });
    expect(spec.process).toMatchObject({ args: ['/bin/other'], cwd: '/relative', user: { uid: 1000, gid: 10 }, terminal: true });
    expect(spec.process?.env).toContain('TERM=xterm');
    expect(spec.annotations?.a).toBeUndefined();
    expect(spec.root?.path).toBe('rootfs');
  });

  it('resolves users through a symlinked /etc/passwd inside the rootfs', async () => {
    const spec = await specFromImage(image({ Cmd: ['x'], User: 'app' }), { rootfs: rootfs({ linkedPasswd: true }) });
    expect(spec.process?.user.uid).toBe(1000);
  });

  it('fails clearly for an unknown user or group', async () => {
    await expect(specFromImage(image({ Cmd: ['x'], User: 'ghost' }), { rootfs: rootfs() })).rejects.toMatchObject({
      code: 'UNKNOWN_USER',
      message: expect.stringContaining('"ghost"'),
    });
    await expect(specFromImage(image({ Cmd: ['x'], User: 'app:ghosts' }), { rootfs: rootfs() })).rejects.toMatchObject({
      code: 'UNKNOWN_GROUP',
    });
    await expect(specFromImage(image({ Cmd: ['x'], User: 'app' }), { rootfs: tempDir() })).rejects.toThrow(/no \/etc\/passwd/);
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(specFromImage(image({ Cmd: ['x'], User: 'app' }), { rootfs: rootfs(), signal: controller.signal })).rejects.toThrow();
  });

  it('specFromImageConfig uses given databases only', () => {
    const spec = specFromImageConfig(image({ Cmd: ['x'], User: 'svc' }), { userDatabases: { passwd: 'svc:x:5:6::/:/bin/sh\n' } });
    expect(spec.process?.user).toEqual({ uid: 5, gid: 6 });
  });

  it('base spec is valid with no issues at all', () => {
    const base = containerBaseSpec();
    base.process!.args = ['x'];
    expect(validateRuntimeSpec(base)).toEqual([]);
  });

  it('imageAnnotations covers the implicit fields', () => {
    expect(imageAnnotations({ ...image(), variant: 'v8', 'os.version': '10', 'os.features': ['a', 'b'] })).toMatchObject({
      'org.opencontainers.image.variant': 'v8',
      'org.opencontainers.image.os.version': '10',
      'org.opencontainers.image.os.features': 'a,b',
    });
  });

  it('runs under real runc as the resolved user', asRoot('runc'), async () => {
    const root = rootfs();
    copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
    const bundle = join(root, '..');
    const spec = await specFromImage(image({ User: 'app', Entrypoint: ['/bin/busybox'], Cmd: ['id'], Env: ['FOO=bar'] }), {
      rootfs: root,
      rootPath: 'rootfs',
    });
    expect(validateRuntimeSpec(spec, { bundle })).toEqual([]);
    writeFileSync(join(bundle, 'config.json'), serializeRuntimeSpec(spec));
    const id = `oci-spec-test-${process.pid}-${Date.now()}`;
    try {
      const out = execFileSync('runc', ['run', id], { cwd: bundle, timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      expect(out.trim()).toBe('uid=1000(app) gid=1000(app) groups=10(wheel),44(video)');
    } finally {
      try {
        execFileSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
      } catch {
        // already gone: `runc run` deletes the container when it exits
      }
    }
  });
});

describe('readFileInRoot', () => {
  it('keeps absolute and climbing symlinks inside the root', async () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'secret'), 'host secret');
    const root = join(tempDir(), 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    symlinkSync(join(outside, 'secret'), join(root, 'etc/abs'));
    symlinkSync('../../../../../../../../secret', join(root, 'etc/climb'));
    writeFileSync(join(root, 'secret'), 'root secret');
    expect(await readFileInRoot(root, '/etc/climb')).toBe('root secret');
    expect(await readFileInRoot(root, '/etc/abs')).toBeUndefined();
    expect(await readFileInRoot(root, '/nope/x')).toBeUndefined();
  });

  it('fails on symlink loops and directories', async () => {
    const root = tempDir();
    symlinkSync('/loop', join(root, 'loop'));
    await expect(readFileInRoot(root, '/loop')).rejects.toMatchObject({ code: 'ROOTFS_READ_FAILED' });
    mkdirSync(join(root, 'dir'));
    await expect(readFileInRoot(root, '/dir')).rejects.toMatchObject({ code: 'ROOTFS_READ_FAILED' });
  });

  it('refuses a FIFO without waiting for a writer, and a file over maxBytes', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'etc'));
    execFileSync('mkfifo', [join(root, 'etc/passwd')]);
    await expect(readFileInRoot(root, '/etc/passwd')).rejects.toMatchObject({ code: 'ROOTFS_READ_FAILED', message: expect.stringContaining('not a regular file') });
    writeFileSync(join(root, 'etc/group'), 'x'.repeat(100));
    await expect(readFileInRoot(root, '/etc/group', { maxBytes: 99 })).rejects.toMatchObject({ message: expect.stringContaining('too large (100 bytes)') });
    expect(await readFileInRoot(root, '/etc/group', { maxBytes: 100 })).toHaveLength(100);
  });
});
