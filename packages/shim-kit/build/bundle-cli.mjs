// Bundles the CLI commands whose start-up counts (the engine's `shimkit run|ps|logs|...`,
// `shimkit build` and `shimkit image`), each with the workspace packages it imports, into one
// module beside its program: a `shimkit run` then loads one file instead of ~190 small modules
// (about 50 ms less start-up), a cached `shimkit build` 0.30 -> 0.25 s to load its program,
// `shimkit image --help` 0.24 -> 0.18 s.
// Packages from npm stay external, and so does the host helper (it finds its binary beside itself),
// except the CommonJS packages every command loads at its start: commander and proper-lockfile
// with its dependencies, 16 modules that Node's loader resolved, read and scanned one by one
// (loading the engine bundle took 52 ms of CPU with them external, 37 ms with them inside, on
// the shared machine). The external ones are imported only when used: marked side-effect free
// (but reflect-metadata), an import of one that only unused code needs is dropped.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { snapshotBundle } from './snapshot-bundle.mjs';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const workspace = new Set(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@shimkit/')));
workspace.delete('@shimkit/host-helper');
const bundled = new Set(['commander', 'proper-lockfile', 'graceful-fs', 'retry', 'signal-exit']);
// imported for what loading them does (tsyringe needs the Reflect metadata API installed first)
const importedForEffect = new Set(['reflect-metadata']);

const bundles = [
  ['serve-program.js', 'serve-program.bundle.js'],
  ['run/engine-program.js', 'run/engine-cli.bundle.js'],
  ['build/build-program.js', 'build/build-cli.bundle.js'],
  ['image/image-program.js', 'image/image-cli.bundle.js'],
];

for (const [program, bundle] of bundles) {
  await build({
    entryPoints: [new URL(`../dist/cli/${program}`, import.meta.url).pathname],
    outfile: new URL(`../dist/cli/${bundle}`, import.meta.url).pathname,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // the bundled CommonJS packages require Node's builtins
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    plugins: [
      {
        name: 'external-npm-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
            if (workspace.has(name) || bundled.has(name)) return undefined;
            return { path: args.path, external: true, sideEffects: importedForEffect.has(name) };
          });
        },
      },
    ],
  });
}

await snapshotBundle(new URL('../dist/cli/', import.meta.url).pathname);
