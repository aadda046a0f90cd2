// Run as a script inside a pod's network namespace (`nsenter --net=<netns> node port-forward-relay.js <port>`):
// connects to 127.0.0.1:<port> there and relays stdin/stdout to it. Node cannot setns(2) itself.
// Tells the parent on stderr: `connected\n`, or one line naming the failure before exiting 1.
import { connect } from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`invalid port ${JSON.stringify(process.argv[2] ?? '')}\n`);
  process.exit(1);
}
const socket = connect({ host: '127.0.0.1', port });
socket.once('connect', () => {
  process.stderr.write('connected\n');
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.once('error', (e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
socket.once('close', () => process.exit(0));
