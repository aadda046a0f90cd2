// Run by a test as its own process: listens on the unix socket path it is given, then kills
// itself with SIGKILL, leaving the socket file with nobody behind it (a runtime that died).
import { createServer } from 'node:net';

createServer().listen(process.argv[2], () => process.kill(process.pid, 'SIGKILL'));
