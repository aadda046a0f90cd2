import { execFile } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// bin/shimkit as a user runs it, traced by `sh -x` to see which node command line it chose.
const PACKAGE = fileURLToPath(new URL('../..', import.meta.url));
const FROM_SNAPSHOT = /^\+ exec \S+ --snapshot-blob \S+\/cli\.blob \S+\/main\.js /m;
const PLAIN = /^\+ exec \S+ \S+\/main\.js /m;

/** What the command wrote to stderr, without the shell's trace. */
const withoutTrace = (stderr: string): string => stderr.replace(/^\+ .*\n/gm, '');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const shimkit = (packageDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => run('sh', ['-x', join(packageDir, 'bin', 'shimkit'), ...args], env);

describe('bin/shimkit and the CLI startup snapshot', () => {
  let version: string;
  let dir: string;
  let engineFlags: string[];
  beforeAll(async () => {
    version = (JSON.parse(await readFile(join(PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
    await readFile(join(PACKAGE, 'dist/cli/cli.blob.node'), 'utf8').catch(() => {
      throw new Error('no startup snapshot in dist/cli: run `npm run build -w shimkit` first');
    });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-snapshot-${process.pid}-`));
    engineFlags = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run')];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the built package elsewhere (its blob and stamp too), with the workspace's node_modules. */
  async function copiedPackage(): Promise<string> {
    const copy = join(dir, 'shimkit');
    for (const part of ['bin', 'dist', 'package.json']) await cp(join(PACKAGE, part), join(copy, part), { recursive: true });
    await symlink(join(PACKAGE, 'node_modules'), join(copy, 'node_modules'));
    await symlink(join(PACKAGE, '../../node_modules'), join(dir, 'node_modules'));
    return copy;
  }

  it('starts node from the snapshot built for this node, with the same answers as without it', async () => {
    const snapshot = await shimkit(PACKAGE, ['--version']);
    expect(snapshot.stderr).toMatch(FROM_SNAPSHOT);
    expect(snapshot).toMatchObject({ code: 0, stdout: `shimkit ${version}\n` });

    const ps = await shimkit(PACKAGE, [...engineFlags, 'ps', '-a']);
    const plainPs = await shimkit(PACKAGE, [...engineFlags, 'ps', '-a'], { SHIMKIT_NO_SNAPSHOT: '1' });
    expect(ps.stderr).toMatch(FROM_SNAPSHOT);
    expect(plainPs.stderr).toMatch(PLAIN);
    expect(ps).toMatchObject({ code: 0, stdout: plainPs.stdout });
    expect(ps.stdout).toMatch(/^CONTAINER ID +IMAGE/);

    const layout = `oci:${join(dir, 'no-layout')}`;
    const missing = await shimkit(PACKAGE, ['image', 'inspect', layout]);
    const plainMissing = await shimkit(PACKAGE, ['image', 'inspect', layout], { SHIMKIT_NO_SNAPSHOT: '1' });
    expect(missing.stderr).toMatch(FROM_SNAPSHOT);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`shimkit: inspect of ${layout}: ${join(dir, 'no-layout')} is not an OCI image layout`);
    expect(withoutTrace(missing.stderr)).toBe(withoutTrace(plainMissing.stderr));
  });

  it('runs main.js for `serve`, with SHIMKIT_NO_SNAPSHOT=1, and when the blob is not for this node', async () => {
    const serve = await shimkit(PACKAGE, ['serve', '--no-such-flag']);
    expect(serve.stderr).toMatch(PLAIN);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/--no-such-flag/);

    const copy = await copiedPackage();
    await writeFile(join(copy, 'dist/cli/cli.blob.node'), '/bin/sh\n');
    const otherNode = await shimkit(copy, ['--version']);
    expect(otherNode.stderr).toMatch(PLAIN);
    expect(otherNode).toMatchObject({ code: 0, stdout: `shimkit ${version}\n` });

    await cp(join(PACKAGE, 'dist/cli/cli.blob.node'), join(copy, 'dist/cli/cli.blob.node'));
    await utimes(join(copy, 'dist/cli/cli.blob'), 0, 0);
    const olderThanNode = await shimkit(copy, ['--version']);
    expect(olderThanNode.stderr).toMatch(PLAIN);
    expect(olderThanNode.stdout).toBe(`shimkit ${version}\n`);
  });

  it('runs the plain CLI from a snapshot of an install that has moved since', async () => {
    const copy = await copiedPackage();
    const moved = await shimkit(copy, [...engineFlags, 'ps', '-a']);
    expect(moved.stderr).toMatch(FROM_SNAPSHOT);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^CONTAINER ID +IMAGE/);
  });

  it('leaves no blob and no stamp when the snapshot cannot be built; the package build fails, an install goes on', async () => {
    const cli = join(dir, 'pkg', 'dist', 'cli');
    await mkdir(cli, { recursive: true });
    await cp(join(PACKAGE, 'scripts'), join(dir, 'pkg', 'scripts'), { recursive: true });
    await writeFile(join(cli, 'cli-snapshot.cjs'), "throw new Error('this bundle cannot load');\n");
    for (const [args, code] of [[['--required'], 1], [[], 0]] as const) {
      await writeFile(join(cli, 'cli.blob.node'), `${process.execPath}\n`);
      const built = await run(process.execPath, [join(dir, 'pkg', 'scripts', 'build-snapshot.mjs'), ...args]);
      expect(built.code, args.join(' ')).toBe(code);
      expect(built.stderr).toContain(`shimkit: no startup snapshot for this node (${process.execPath})`);
      expect(built.stderr).toContain('this bundle cannot load');
      await expect(access(join(cli, 'cli.blob'))).rejects.toThrow(/ENOENT/);
      await expect(access(join(cli, 'cli.blob.node'))).rejects.toThrow(/ENOENT/);
    }
  });
});
