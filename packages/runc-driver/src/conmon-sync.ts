import type { Readable } from 'node:stream';

/** One message conmon writes to its sync pipe (`--api-version 1`: `{"data": n, "message": "..."}`). */
export interface SyncMessage {
  /** Container pid on success; -1 (or another negative number) on failure. */
  data: number;
  message?: string;
}

/** Parses one sync-pipe line; undefined when it is not a conmon message. */
export function parseSyncMessage(line: string): SyncMessage | undefined {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    // api-version 0 used "pid" / "exit_code" instead of "data"
    const data = value['data'] ?? value['pid'] ?? value['exit_code'];
    if (typeof data !== 'number') return undefined;
    return typeof value['message'] === 'string' ? { data, message: value['message'] } : { data };
  } catch {
    return undefined;
  }
}

/**
 * Resolves with the first message read from conmon's sync pipe, or undefined when the pipe
 * closes first (conmon died before reporting).
 */
export function readSyncMessage(stream: Readable): Promise<SyncMessage | undefined> {
  return new Promise((resolve) => {
    let buffered = '';
    const finish = (value: SyncMessage | undefined): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onEnd);
      resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const message = parseSyncMessage(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (message) return finish(message);
      }
    };
    const onEnd = (): void => finish(parseSyncMessage(buffered));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onEnd);
  });
}
