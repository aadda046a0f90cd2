// Run by conmon.test.ts in a separate Node process: creates and starts a container under
// conmon, prints its pids, then idles until it is SIGKILLed.
import { Conmon, Runc } from '../../src/index.js';

const [root, tmpDir, exitDir, socketDir, id, bundle, logPath] = process.argv.slice(2);
if (!root || !tmpDir || !exitDir || !socketDir || !id || !bundle || !logPath) throw new Error('usage: conmon-child <root> <tmp> <exitDir> <socketDir> <id> <bundle> <log>');
const runc = new Runc({ root, tmpDir });
const conmon = new Conmon({ runc, exitDir, socketDir });
const container = await conmon.create(id, { bundle, logPath });
await runc.start(id);
process.stdout.write(`${JSON.stringify({ pid: container.pid, conmonPid: container.conmonPid })}\n`);
setInterval(() => undefined, 1000);
