import type { Duplex } from 'node:stream';
import { ShimError } from '../errors.js';
import type { RemoteCommandOptions, RemoteCommandSession, RemoteCommandStreams } from './remote-command.js';
import { SpdyConnection } from './spdy-connection.js';
import type { SpdyStream } from './spdy-stream.js';

/**
 * A remote-command session (v4.channel.k8s.io) over an upgraded SPDY socket: the client opens one
 * stream per stdio stream the request asked for, the `error` stream, and `resize` for a tty.
 * Streams of other types, or opened twice, are reset. When they are not all open within
 * `streamCreationTimeoutMs`, the connection is closed and `streams` rejects.
 */
export function acceptSpdyRemoteCommand(socket: Duplex, options: RemoteCommandOptions & { streamCreationTimeoutMs: number }): RemoteCommandSession {
  const expected = new Set<string>(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr) expected.add('stderr');
  if (options.tty) expected.add('resize');
  const opened = new Map<string, SpdyStream>();
  let resolveStreams!: (streams: RemoteCommandStreams) => void;
  let rejectStreams!: (e: Error) => void;
  const streams = new Promise<RemoteCommandStreams>((resolve, reject) => {
    resolveStreams = resolve;
    rejectStreams = reject;
  });
  streams.catch(() => undefined);
  const connection = new SpdyConnection(socket, {
    onStream: (stream) => {
      const type = stream.header('streamtype') ?? '';
      if (opened.size === expected.size || !expected.has(type) || opened.has(type)) return void stream.destroy();
      opened.set(type, stream);
      if (opened.size < expected.size) return;
      clearTimeout(timer);
      const { stdin, stdout, stderr, resize } = Object.fromEntries(opened);
      resolveStreams({ error: opened.get('error') as SpdyStream, ...(stdin && { stdin }), ...(stdout && { stdout }), ...(stderr && { stderr }), ...(resize && { resize }) });
    },
  });
  const timer = setTimeout(() => {
    rejectStreams(new ShimError('DeadlineExceeded', `the client opened ${[...opened.keys()].join(', ') || 'no streams'} of ${[...expected].join(', ')} in time`));
    void connection.close();
  }, options.streamCreationTimeoutMs);
  void connection.closed.then(() => {
    clearTimeout(timer);
    rejectStreams(new ShimError('Unavailable', 'the client closed the connection before opening its streams'));
  });
  return { streams, closed: connection.closed, close: () => connection.close() };
}
