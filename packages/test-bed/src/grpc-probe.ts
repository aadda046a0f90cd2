import { connect as http2Connect, constants } from 'node:http2';
import { connect as netConnect } from 'node:net';

/**
 * Calls a unary gRPC method with an empty request over a unix socket, speaking
 * HTTP/2 directly (the test bed must not depend on the CRI client it tests).
 * Resolves with the grpc-status (0 = OK) and message; rejects when the socket
 * does not answer.
 */
export function grpcProbe(socket: string, method: string, timeoutMs = 2_000): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2Connect('http://localhost', { createConnection: () => netConnect(socket) });
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (err: Error | undefined, result?: { status: number; message: string }): void => {
      clearTimeout(timer);
      session.close();
      if (err) reject(err);
      else if (result) resolve(result);
    };
    session.on('error', (err) => finish(err));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: method,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let headers: Record<string, unknown> = {};
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (headers = { ...headers, ...t }));
    req.on('data', () => undefined);
    req.on('error', (err) => finish(err));
    req.on('end', () => {
      const status = Number(headers['grpc-status'] ?? NaN);
      if (Number.isNaN(status)) finish(new Error(`${method}: answer without grpc-status`));
      else finish(undefined, { status, message: decodeURIComponent(String(headers['grpc-message'] ?? '')) });
    });
    // An empty message: not compressed, length 0.
    req.end(Buffer.alloc(5));
  });
}
