import { open, stat, type FileHandle } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { parseCriLog } from '@shimkit/runc-driver';
import type { AttachSession } from 'shimkit';

/** Options of {@link followCriLog}. */
export interface FollowOptions {
  stdout: boolean;
  stderr: boolean;
  /** Resolves when the container has exited: what is left in the file is sent, then the session ends. */
  exited: Promise<void>;
  /** How often the file is read for new lines (default 50 ms). */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * An attach to a container's output through its CRI log file: from the file's end on, each record
 * of the asked-for streams is written to that stream (a `P` record without its line end, as the
 * container wrote it). Follows a rotation (a new file at the path) from its start. The session
 * ends when the container has exited and the file is read to its end, or on `detach()`.
 */
export async function followCriLog(path: string, options: FollowOptions): Promise<AttachSession> {
  const stdout = options.stdout ? new PassThrough() : null;
  const stderr = options.stderr ? new PassThrough() : null;
  let file: FileHandle | undefined = await open(path, 'r');
  let inode = (await file.stat()).ino;
  let offset = (await file.stat()).size;
  let partial = '';
  let stopped = false;
  let exited = false;
  void options.exited.then(() => (exited = true));

  const readNew = async (): Promise<void> => {
    const current = await stat(path).catch(() => undefined);
    if (current !== undefined && current.ino !== inode) {
      // rotated: what is left of the old file first, then the new one from its start
      await drain();
      await file?.close();
      file = await open(path, 'r');
      inode = current.ino;
      offset = 0;
      partial = '';
    }
    await drain();
  };
  const drain = async (): Promise<void> => {
    if (file === undefined) return;
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      const text = partial + buffer.subarray(0, bytesRead).toString('utf8');
      const end = text.lastIndexOf('\n');
      partial = text.slice(end + 1);
      for (const line of parseCriLog(text.slice(0, end + 1))) {
        const target = line.stream === 'stdout' ? stdout : stderr;
        target?.write(line.full ? `${line.content}\n` : line.content);
      }
    }
  };

  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await file?.close().catch(() => undefined);
    file = undefined;
    stdout?.end();
    stderr?.end();
    finish();
  };
  void (async () => {
    try {
      while (!stopped) {
        const wasExited = exited;
        await readNew();
        // read once more after the exit, so the last lines are sent
        if (wasExited) break;
        await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
      }
    } catch (e) {
      stdout?.destroy(e as Error);
    } finally {
      await stop();
    }
  })();
  return { stdin: null, stdout, stderr, ended, detach: () => void stop() };
}
