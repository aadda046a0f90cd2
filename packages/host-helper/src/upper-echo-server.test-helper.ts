// Run by a test inside a network namespace: a TCP server on 127.0.0.1:<argv[2]> that answers each
// connection with what it reads, upper-cased, and ends when the client does. Prints "up" once
// it listens.
import { createServer } from 'node:net';

createServer((socket) => {
  socket.on('data', (data) => socket.write(String(data).toUpperCase()));
  socket.on('end', () => socket.end());
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('up'));
