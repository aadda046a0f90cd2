// The CLI as a V8 startup snapshot: build/snapshot-bundle.mjs bundles this module with everything
// the engine, image and build commands import into one CommonJS script, scripts/build-snapshot.mjs
// runs it with `node --build-snapshot`; bin/shimkit starts node from that blob, which skips loading and
// compiling the CLI's modules (most of a short command's time before this).
// Only what loading the modules does is in the snapshot: the environment, arguments, working
// directory, native addons and every handle are the running process's own, read or opened on use.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startupSnapshot } from 'node:v8';
import * as build from './build/build-program.js';
import { runCliProcess } from './cli-process.js';
import * as image from './image/image-program.js';
import * as engine from './run/engine-program.js';
import type * as ServeProgram from './serve-program.js';

/** The `main.js` this snapshot was built beside: the modules' paths in it are those of this install. */
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

startupSnapshot.setDeserializeMainFunction(() => {
  // Node 20.19+ requires ES modules; a snapshot's own code cannot import() them
  const requireHere = createRequire(MAIN);
  const script = process.argv[1];
  if (script === undefined || realpathSync(script) !== MAIN) {
    // moved since the snapshot was built: its paths are stale, so run the plain CLI
    requireHere(script ?? MAIN);
    return;
  }
  runCliProcess({
    engine: () => Promise.resolve(engine),
    image: () => Promise.resolve(image),
    build: () => Promise.resolve(build),
    serve: () => Promise.resolve(requireHere('./serve-program.bundle.js') as typeof ServeProgram),
  });
});
