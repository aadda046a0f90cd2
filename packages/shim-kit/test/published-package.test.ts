// The package as npm would publish it (`npm pack`'s file list), installed beside only its declared
// dependencies: the main and testing entries load without vitest (an optional peer), the
// conformance entry is the one that needs it.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const WORKSPACE_MODULES = join(PACKAGE, '..', '..', 'node_modules');

interface PackageJson {
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

let app: string;
let manifest: PackageJson;

beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(PACKAGE, 'package.json'), 'utf8')) as PackageJson;
  const packed = JSON.parse((await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE, timeout: 60_000 })).stdout) as { files: { path: string }[] }[];
  app = await mkdtemp(join(tmpdir(), 'shimkit-published-'));
  const installed = join(app, 'node_modules', 'shimkit');
  for (const { path } of packed[0]?.files ?? []) {
    await mkdir(dirname(join(installed, path)), { recursive: true });
    await copyFile(join(PACKAGE, path), join(installed, path));
  }
  // the declared dependencies only (their own dependencies resolve from where they really live)
  for (const name of Object.keys(manifest.dependencies)) {
    await mkdir(dirname(join(app, 'node_modules', name)), { recursive: true });
    await symlink(join(WORKSPACE_MODULES, name), join(app, 'node_modules', name));
  }
}, 120_000);
afterAll(async () => {
  if (app !== undefined) await rm(app, { recursive: true, force: true });
});

/** Imports `specifier` from the app dir in a fresh node; resolves with what it printed or the error. */
async function importIn(specifier: string): Promise<{ ok: boolean; out: string }> {
  const code = `import(${JSON.stringify(specifier)}).then((m) => console.log(Object.keys(m).sort().join(',')), (e) => { console.log(e.code + ' ' + e.message); process.exit(1); })`;
  try {
    return { ok: true, out: (await run(process.execPath, ['--input-type=module', '-e', code], { cwd: app, timeout: 60_000 })).stdout };
  } catch (e) {
    return { ok: false, out: (e as { stdout: string }).stdout };
  }
}

describe('the published shimkit package', () => {
  it('declares vitest as an optional peer dependency, not a dependency', () => {
    expect(manifest.dependencies).not.toHaveProperty('vitest');
    expect(manifest.peerDependencies).toHaveProperty('vitest');
    expect(manifest.peerDependenciesMeta?.['vitest']?.optional).toBe(true);
  });

  it('loads its main and testing entries without vitest installed', async () => {
    expect(await importIn('shimkit')).toMatchObject({ ok: true, out: expect.stringContaining('createShim') });
    expect(await importIn('shimkit/testing')).toMatchObject({ ok: true, out: expect.stringContaining('FakeRuntimeBackend') });
  });

  it('needs vitest for the conformance entry, and names it when missing', async () => {
    const result = await importIn('shimkit/conformance');
    expect(result.ok).toBe(false);
    expect(result.out).toMatch(/^ERR_MODULE_NOT_FOUND .*'vitest'/);
  });
});
