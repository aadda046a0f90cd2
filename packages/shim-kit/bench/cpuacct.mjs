// CPU time of a whole command, whatever it starts (cgroup v1 cpuacct): the command runs in a
// cgroup of the benchmark's, which counts its children too, as long as they stay there.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const CPUACCT = '/sys/fs/cgroup/cpuacct';

/** Nanoseconds of CPU used in a cpuacct cgroup (`/name`), 0 when there is none yet. */
export const cpuNs = async (cgroup) => Number(await readFile(join(CPUACCT, cgroup, 'cpuacct.usage'), 'utf8').catch(() => '0'));

/** A cpuacct cgroup `/name` to run commands in: run(file, args, options) as execFile, and remove(). */
export async function commandCgroup(name) {
  const dir = join(CPUACCT, name);
  await mkdir(dir);
  return {
    name,
    // the shell moves itself into the cgroup, then becomes the command
    run: (file, args, options) => exec('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, file, ...args], options),
    remove: () => rmdir(dir).catch(() => undefined),
  };
}
