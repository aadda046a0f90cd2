// Run by conmon.test.ts as "a new process": finds a container started by another (killed)
// process, waits for its exit through conmon's exit dir and prints what it found.
import { readFile } from 'node:fs/promises';
import { Conmon, Runc, criLogMessages, parseCriLog } from '../../src/index.js';

const [root, tmpDir, exitDir, socketDir, id, logPath] = process.argv.slice(2);
if (!root || !tmpDir || !exitDir || !socketDir || !id || !logPath) throw new Error('usage: conmon-reader <root> <tmp> <exitDir> <socketDir> <id> <log>');
const runc = new Runc({ root, tmpDir });
const conmon = new Conmon({ runc, exitDir, socketDir });
const found = await runc.state(id);
const watcher = conmon.watch();
const exit = await watcher.wait(id, { signal: AbortSignal.timeout(20_000) });
const log = criLogMessages(parseCriLog(await readFile(logPath, 'utf8')));
process.stdout.write(`${JSON.stringify({ status: found.status, pid: found.pid, exitCode: exit.exitCode, log })}\n`);
await conmon.close();
await runc.close();
