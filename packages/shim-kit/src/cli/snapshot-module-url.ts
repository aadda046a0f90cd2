import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// The startup snapshot's script is one CommonJS file, where modules have no import.meta.url: the
// bundle asks this for each module's URL instead, resolved where the snapshot is built (the
// published script does not know where its packages will be installed).

const roots = new Map<string, string>();

function packageRoot(name: string): string {
  // node runs the snapshot's script (dist/cli/cli-snapshot.cjs) as process.argv[1] while it builds the snapshot
  const shimkit = realpathSync(resolve(dirname(process.argv[1] ?? ''), '../..'));
  if (name === 'shimkit') return shimkit;
  // where node would find the package from shimkit's directory (its exports name no package.json)
  for (let dir = shimkit; dir !== dirname(dir); dir = dirname(dir)) {
    const root = join(dir, 'node_modules', name);
    if (existsSync(join(root, 'package.json'))) return realpathSync(root);
  }
  throw new Error(`cannot find the package ${name} from ${shimkit}`);
}

/** The file URL of `file` (relative to its package's directory) of the package `name`, as installed here. */
export function snapshotModuleUrl(name: string, file: string): string {
  let root = roots.get(name);
  if (root === undefined) roots.set(name, (root = packageRoot(name)));
  return pathToFileURL(join(root, file)).href;
}
