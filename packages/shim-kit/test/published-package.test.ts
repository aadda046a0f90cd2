// The packages as npm publishes them: every published workspace package packed, the tarballs
// installed into a fresh project outside the workspace (the host helper compiled by its install
// script), and the ten-line shim of examples/minimal-shim, in strict NodeNext TypeScript and in
// plain ESM JavaScript (test/published-app), runs a busybox pod through the CRI on real runc,
// conmon and CNI.
// Nothing of the workspace is visible to that project: vitest, an optional peer of shimkit, is
// not installed there either.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect, ContainerState } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { E2eBed, EMPTY_LEFTOVERS } from './e2e/e2e-bed.js';

const run = promisify(execFile);
const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));
/** The app's own files: the JavaScript shim and two small programs run in the app. */
const APP_FILES = fileURLToPath(new URL('./published-app', import.meta.url));
const TS_SHIM = join(WORKSPACE, 'examples', 'minimal-shim', 'src', 'main.ts');

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** The environment without what the outer `npm test` set, so nested npm commands see only the app. */
const appEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'INIT_CWD'));

let bed: E2eBed;
let app: string;
let packed: PackResult[];
const shims: ChildProcess[] = [];

/** The workspace's packages that are not private, as `-w` arguments. */
async function publishedWorkspaces(): Promise<string[]> {
  const dirs: string[] = [];
  for (const dir of await readdir(join(WORKSPACE, 'packages'))) {
    const manifest = JSON.parse(await readFile(join(WORKSPACE, 'packages', dir, 'package.json'), 'utf8')) as { private?: boolean };
    if (manifest.private !== true) dirs.push(`packages/${dir}`);
  }
  return dirs;
}

async function npm(args: string[], cwd: string): Promise<string> {
  return (await run('npm', args, { cwd, env: appEnv, timeout: 120_000, maxBuffer: 16 << 20 })).stdout;
}

/** Runs one of the app's programs; resolves with what it printed. */
async function nodeInApp(program: string, ...args: string[]): Promise<string> {
  return (await run(process.execPath, [join(app, program), ...args], { cwd: app, env: appEnv, timeout: 60_000 })).stdout;
}

/** Starts `node entry socket root state` in the app on the bed's CNI config; resolves once the shim listens. */
async function startShim(entry: string): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const env = { ...appEnv, CNI_CONF_DIR: bed.confDir };
  const child = spawn(process.execPath, [join(app, entry), bed.socket, bed.root, bed.state], { cwd: app, env, stdio: ['ignore', 'inherit', 'pipe'] });
  shims.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await vi.waitFor(() => expect(stderr, 'the shim\'s stderr').toContain('shim listening'), { timeout: 30_000, interval: 50 });
  return { child, exited };
}

beforeAll(async () => {
  bed = await E2eBed.start();
  app = await mkdtemp(join(tmpdir(), 'shimkit-published-'));
  // Scripts are ignored: this test runs after the build, and prepack (which builds) writes the
  // dist other tests are reading; `npm run check-packages` packs each package with its scripts.
  const workspaces = (await publishedWorkspaces()).flatMap((w) => ['-w', w]);
  packed = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', app, ...workspaces], WORKSPACE)) as PackResult[];
  const tarball = (p: PackResult): string => join(app, p.filename);
  const helper = packed.find((p) => p.name === '@shimkit/host-helper');
  const cli = packed.find((p) => p.name === 'shimkit');
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'published-app',
      private: true,
      type: 'module',
      dependencies: Object.fromEntries(packed.map((p) => [p.name, `file:${tarball(p)}`])),
      // npm asks for install scripts to be approved: the helper's compiles it, shimkit's builds the CLI's
      // startup snapshot; protobufjs's only checks versions
      allowScripts: { ...(helper && { [`file:${tarball(helper)}`]: true }), ...(cli && { [`file:${tarball(cli)}`]: true }), protobufjs: false },
    }),
  );
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  for (const file of await readdir(APP_FILES)) await copyFile(join(APP_FILES, file), join(app, file));
  await copyFile(TS_SHIM, join(app, 'shim.ts'));
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true,
        // the published declarations are checked too, as a project without skipLibCheck sees them
        skipLibCheck: false,
        outDir: 'dist', types: ['node'], typeRoots: [join(WORKSPACE, 'node_modules', '@types')],
      },
      files: ['shim.ts'],
    }),
  );
  await run(process.execPath, [join(WORKSPACE, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { timeout: 120_000 });
}, 300_000);

afterAll(async () => {
  for (const shim of shims) if (shim.exitCode === null && shim.signalCode === null) shim.kill('SIGKILL');
  try {
    if (bed !== undefined) expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  } finally {
    await bed?.destroy();
    if (app !== undefined) await rm(app, { recursive: true, force: true });
  }
});

describe('the packed tarballs', () => {
  it('are the six published packages, each with its LICENSE', async () => {
    expect(packed.map((p) => p.name).sort()).toEqual(['@shimkit/cri-types', '@shimkit/host-helper', '@shimkit/image-store', '@shimkit/oci-spec', '@shimkit/runc-driver', 'shimkit']);
    for (const p of packed) expect(p.files.map((f) => f.path), p.name).toContain('LICENSE');
  });

  it('carry the sources their source maps and declaration maps point at, and no tests', async () => {
    for (const p of packed) {
      const files = new Set(p.files.map((f) => f.path));
      expect([...files].filter((f) => /\.test(-helper)?\.ts$|\.fixture\./.test(f)), p.name).toEqual([]);
      const maps = [...files].filter((f) => f.endsWith('.map'));
      expect(maps.length, p.name).toBeGreaterThan(0);
      for (const map of maps) {
        const { sources } = JSON.parse(await readFile(join(app, 'node_modules', p.name, map), 'utf8')) as { sources: string[] };
        for (const source of sources) expect(files, `${p.name}: ${map} -> ${source}`).toContain(join(map, '..', source));
      }
    }
  });

  it('carry the host helper as C sources, compiled where the package is installed', async () => {
    const files = packed.find((p) => p.name === '@shimkit/host-helper')?.files.map((f) => f.path);
    expect(files).toContain('src/native/main.c');
    expect(files).not.toContain('dist/shimkit-helper');
    const binary = await stat(join(app, 'node_modules', '@shimkit', 'host-helper', 'dist', 'shimkit-helper'));
    expect(binary.isFile() && (binary.mode & 0o111) !== 0).toBe(true);
  });

  it('carry the CLI without a startup snapshot, which the install makes for its own node and the command starts from', async () => {
    const files = packed.find((p) => p.name === 'shimkit')?.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/shimkit', 'scripts/build-snapshot.mjs', 'dist/cli/cli-snapshot.cjs', 'dist/cli/main.js']));
    expect(files).not.toContain('dist/cli/cli.blob');
    expect(files).not.toContain('dist/cli/cli.blob.node');
    const traced = await run('sh', ['-x', join(app, 'node_modules', '.bin', 'shimkit'), '--version'], { cwd: app, env: appEnv, timeout: 60_000 });
    expect(traced.stderr).toMatch(/^\+ exec \S+ --snapshot-blob \S+\/shimkit\/bin\/\.\.\/dist\/cli\/cli\.blob /m);
    expect(traced.stdout).toMatch(/^shimkit \d+\.\d+\.\d+\n$/);
  });

  it('name `npm rebuild` when the helper was not compiled (scripts ignored), and that compiles it', async () => {
    await rm(join(app, 'node_modules', '@shimkit', 'host-helper', 'dist', 'shimkit-helper'));
    expect(await nodeInApp('run-helper.mjs')).toMatch(/^HELPER_MISSING: .*`npm rebuild @shimkit\/host-helper`/);
    await npm(['rebuild', '@shimkit/host-helper'], app);
    expect(await nodeInApp('run-helper.mjs')).toBe('exit 0\n');
  });
});

describe.each([
  ['plain ESM JavaScript', 'shim.mjs'],
  ['strict NodeNext TypeScript', join('dist', 'shim.js')],
])('a ten-line shim in %s, installed from the tarballs', (language, entry) => {
  it('runs a pod and a busybox container through the CRI, and leaves nothing behind', async () => {
    const shim = await startShim(entry);
    const cri = await connect(`unix://${bed.socket}`, { defaultTimeoutMs: 30_000 });
    try {
      const image = { image: bed.images.busybox.reference };
      await cri.image.pullImage({ image });
      const name = language.startsWith('plain') ? 'from-js' : 'from-ts';
      const config = bed.pod(name);
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
      const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('busybox') });
      await cri.runtime.startContainer({ containerId });
      expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);
      const exec = await cri.runtime.execSync({ containerId, cmd: ['cat', '/etc/hostname'], timeout: 10n });
      expect({ exitCode: exec.exitCode, stdout: Buffer.from(exec.stdout).toString() }).toEqual({ exitCode: 0, stdout: `${name}\n` });
      await cri.runtime.stopContainer({ containerId, timeout: 0n });
      await cri.runtime.removeContainer({ containerId });
      await cri.runtime.stopPodSandbox({ podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId });
      await cri.image.removeImage({ image });
    } finally {
      await cri.close();
    }
    shim.child.kill('SIGTERM');
    expect(await shim.exited).toEqual({ code: 0, signal: null });
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  });
});

describe('shimkit without vitest (an optional peer)', () => {
  /** Imports `specifier` in the app; what it exports, or the error's code and message. */
  const importInApp = (specifier: string): Promise<string> => nodeInApp('import-entry.mjs', specifier);

  it('declares vitest as an optional peer dependency, not a dependency', async () => {
    const manifest = JSON.parse(await readFile(join(app, 'node_modules', 'shimkit', 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    expect(manifest['dependencies']).not.toHaveProperty('vitest');
    expect(manifest['peerDependencies']).toHaveProperty('vitest');
    expect(manifest['peerDependenciesMeta']?.['vitest']).toEqual({ optional: true });
    await expect(stat(join(app, 'node_modules', 'vitest'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('loads its main and testing entries', async () => {
    expect(await importInApp('shimkit')).toContain('createShim');
    expect(await importInApp('shimkit/testing')).toContain('FakeRuntimeBackend');
  });

  it('needs vitest for the conformance entry, and names it when missing', async () => {
    expect(await importInApp('shimkit/conformance')).toMatch(/^ERR_MODULE_NOT_FOUND .*'vitest'/);
  });
});
