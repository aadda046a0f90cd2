import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import { isShimError } from 'shimkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specEnv, wasmEntrypoint, wasmPreopens } from './wasm-entrypoint.js';

// the smallest valid module: magic and version
const MODULE = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
let rootfs: string;
let volumes: string;

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'wasm-entrypoint-'));
  rootfs = join(base, 'rootfs');
  volumes = join(base, 'volumes');
  mkdirSync(join(rootfs, 'app'), { recursive: true });
  mkdirSync(volumes);
  writeFileSync(join(rootfs, 'app', 'main.wasm'), MODULE);
  writeFileSync(join(rootfs, 'notes.txt'), 'text');
  symlinkSync('/etc/hostname', join(rootfs, 'escape.wasm'));
  symlinkSync('/app/main.wasm', join(rootfs, 'abs-link.wasm'));
  writeFileSync(join(volumes, 'a-file'), 'x');
});
afterAll(() => rmSync(join(rootfs, '..'), { recursive: true, force: true }));

const spec = (args: string[], extra: Partial<RuntimeSpec> = {}): RuntimeSpec => ({ ociVersion: '1.0.2', process: { args, cwd: '/app', env: ['A=1', 'B=x=y', 'A=2'] }, root: { path: 'rootfs' }, ...extra }) as RuntimeSpec;
const refused = (pattern: RegExp) => (e: unknown): boolean => isShimError(e, 'InvalidArgument') && pattern.test((e as Error).message);

describe('wasmEntrypoint', () => {
  it('finds the module by absolute path or relative to the working directory', async () => {
    expect(await wasmEntrypoint(spec(['/app/main.wasm']), rootfs)).toBe(join(rootfs, 'app', 'main.wasm'));
    expect(await wasmEntrypoint(spec(['main.wasm']), rootfs)).toBe(join(rootfs, 'app', 'main.wasm'));
  });

  it('refuses no command, a missing file, a file that is not a module and a link out of the rootfs, naming the command', async () => {
    await expect(wasmEntrypoint(spec([]), rootfs)).rejects.toSatisfy(refused(/has no command/));
    await expect(wasmEntrypoint(spec(['/nope.wasm']), rootfs)).rejects.toSatisfy(refused(/module "\/nope\.wasm" is not in the image/));
    await expect(wasmEntrypoint(spec(['/notes.txt']), rootfs)).rejects.toSatisfy(refused(/"\/notes\.txt" is not a valid WebAssembly module/));
    await expect(wasmEntrypoint(spec(['/app']), rootfs)).rejects.toSatisfy(refused(/is not a file/));
    // a link to /etc/hostname means the image's, which it does not have; never the host's
    await expect(wasmEntrypoint(spec(['/escape.wasm']), rootfs)).rejects.toSatisfy(refused(/module "\/escape\.wasm" is not in the image \(ENOENT\)/));
    await expect(wasmEntrypoint(spec(['/../../../../etc/hostname']), rootfs)).rejects.toSatisfy(refused(/is not in the image/));
  });

  it('follows links inside the image as the container would', async () => {
    expect(await wasmEntrypoint(spec(['/abs-link.wasm']), rootfs)).toBe(join(rootfs, 'app', 'main.wasm'));
    expect(await wasmEntrypoint(spec(['../abs-link.wasm']), rootfs)).toBe(join(rootfs, 'app', 'main.wasm'));
  });
});

describe('wasmPreopens', () => {
  it('gives the rootfs as /, the working directory as ., and bind-mounted directories at their destination', async () => {
    const mounts = [
      { destination: '/data', source: volumes, type: 'bind', options: ['rbind', 'ro'] },
      { destination: '/scratch', source: volumes, options: ['rbind', 'rw'] },
      { destination: '/etc/hosts', source: join(volumes, 'a-file'), type: 'bind', options: ['rbind'] },
      { destination: '/proc', source: 'proc', type: 'proc' },
    ];
    expect(await wasmPreopens(spec(['/app/main.wasm'], { mounts }), rootfs)).toEqual([
      { guest: '/', host: rootfs, readOnly: false },
      { guest: '.', host: join(rootfs, 'app'), readOnly: false },
      { guest: '/data', host: volumes, readOnly: true },
      { guest: '/scratch', host: volumes, readOnly: false },
    ]);
    const readOnlyRoot = await wasmPreopens(spec(['/app/main.wasm'], { root: { path: 'rootfs', readonly: true } }), rootfs);
    expect(readOnlyRoot.map((p) => p.readOnly)).toEqual([true, true]);
  });

  it('takes the environment from the spec, a later entry winning', () => {
    expect(specEnv(spec([]))).toEqual({ A: '2', B: 'x=y' });
  });
});
