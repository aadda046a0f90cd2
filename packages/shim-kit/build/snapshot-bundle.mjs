// Bundles the CLI for its V8 startup snapshot (src/cli/snapshot-main.ts): one CommonJS script with
// every package the engine, image and build commands use, since a snapshot's script can require
// only Node's builtins while it is built.
// - Other npm packages are marked side-effect free, so that an import only unused code needs is
//   dropped. Packages the code loads on first use with createRequire (undici, smol-toml, the host
//   helper's addon) stay outside and load from node_modules when used.
// - run-cli.js's programs loaded on use stay outside: the snapshot has its own (serve's, with
//   gRPC and OpenTelemetry, made the script twice as large).
// - Packages that open handles when they load load on their first use instead: proper-lockfile
//   (through signal-exit, a handler for every signal, which a snapshot cannot hold).
// - Each module's `import.meta.url` becomes the URL of its file in this install, resolved when
//   the snapshot is built (scripts/build-snapshot.mjs).
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return { name: JSON.parse(readFileSync(manifest, 'utf8')).name, root: dir };
  }
  throw new Error(`no package.json above ${file}`);
}

const loadedOnFirstUse = ['proper-lockfile'];
const used = /^(@shimkit\/|commander$|proper-lockfile$|cli-progress$|execa$)/;

export async function snapshotBundle(cliDir) {
  const moduleUrl = join(cliDir, 'snapshot-module-url.js');
  await build({
    entryPoints: [join(cliDir, 'snapshot-main.js')],
    outfile: join(cliDir, 'cli-snapshot.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'module-url-of-install',
        setup(b) {
          const onFirstUse = new RegExp(`^(${loadedOnFirstUse.join('|')})$`);
          b.onResolve({ filter: onFirstUse }, (args) =>
            args.namespace === 'on-first-use' ? undefined : { path: args.path, namespace: 'on-first-use', pluginData: args.resolveDir },
          );
          b.onResolve({ filter: /-program\.js$/ }, (args) => (args.importer.endsWith('/run-cli.js') ? { path: args.path, external: true } : undefined));
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            // a bundled package's own dependencies are bundled with it
            if (args.namespace === 'on-first-use' || args.path.startsWith('node:') || args.importer.includes('/node_modules/')) return undefined;
            const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
            return used.test(name) ? undefined : { path: args.path, external: true, sideEffects: false };
          });
          b.onLoad({ filter: /.*/, namespace: 'on-first-use' }, (args) => ({
            // the require below is bundled as a function that loads the package when first called
            contents: `export default new Proxy({}, { get: (_, key) => require(${JSON.stringify(args.path)})[key] });`,
            resolveDir: args.pluginData,
            loader: 'js',
          }));
          b.onLoad({ filter: /\.m?js$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            if (!text.includes('import.meta.url')) return undefined;
            const { name, root } = packageOf(args.path);
            const url = `__snapshotModuleUrl(${JSON.stringify(name)}, ${JSON.stringify(relative(root, args.path))})`;
            return {
              contents: `import { snapshotModuleUrl as __snapshotModuleUrl } from ${JSON.stringify(moduleUrl)};\n${text.replaceAll('import.meta.url', url)}`,
              loader: 'js',
            };
          });
        },
      },
    ],
  });
}
