import type { Readable, Writable } from 'node:stream';

export type { TerminalSize } from '../interfaces/runtime-backend.js';

/** Which streams a remote-command session (exec or attach) carries, as the CRI request asked. */
export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The command runs on a terminal: the client may send terminal sizes. */
  tty: boolean;
}

/**
 * The client's streams of one exec or attach session, whatever transport (SPDY or WebSocket)
 * carries them. Absent when the request did not ask for them.
 */
export interface RemoteCommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Receives the final status (a metav1.Status as JSON) and is then ended. */
  error: Writable;
  /** Terminal sizes from the client (JSON `{"Width":w,"Height":h}` objects one after another); tty sessions only. */
  resize?: Readable;
}

/** An accepted remote-command connection. */
export interface RemoteCommandSession {
  /** Resolves once every stream the request asked for is open; rejects when the client does not open them in time. */
  readonly streams: Promise<RemoteCommandStreams>;
  /** Resolves when the connection is gone (closed by either side). */
  readonly closed: Promise<void>;
  /** Ends the connection; idempotent. */
  close(): Promise<void>;
}
