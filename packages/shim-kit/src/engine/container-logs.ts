import { open } from 'node:fs/promises';

/** Where reading a container's log (`ContainerEngine.logs`) writes its output. */
export type LogSink = (stream: 'stdout' | 'stderr', text: string) => void;

const LINE = /^(\S+) (stdout|stderr) (P|F) ?(.*)$/;

/** Options of `ContainerEngine.logs`. */
export interface ReadLogOptions {
  /** Only the last this many lines of what is there now. */
  tail?: number;
  /** Keep reading as the log grows, until `finished()` says the container is done and nothing more came. */
  follow?: boolean;
  finished?: () => Promise<boolean>;
  /** How often a followed log is read again. Default 100 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

/** One CRI log line's text: a full line gets its newline back, a partial one does not. */
function render(line: string): { stream: 'stdout' | 'stderr'; text: string } | undefined {
  const m = LINE.exec(line);
  if (m === null) return undefined;
  return { stream: m[2] as 'stdout' | 'stderr', text: m[3] === 'F' ? `${m[4] ?? ''}\n` : (m[4] ?? '') };
}

/**
 * Writes a container's CRI-format log (conmon's k8s-file) to `sink` as the container wrote it,
 * each stream to its own side; a missing log is an empty one.
 */
export async function readContainerLog(path: string, sink: LogSink, options: ReadLogOptions = {}): Promise<void> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (fh === undefined) return;
  try {
    let offset = 0;
    let pending = '';
    const buffer = Buffer.alloc(64 * 1024);
    const readMore = async (): Promise<string[]> => {
      let text = '';
      for (;;) {
        const { bytesRead } = await fh.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        text += buffer.toString('utf8', 0, bytesRead);
      }
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      return lines;
    };
    let lines = await readMore();
    if (options.tail !== undefined) lines = options.tail <= 0 ? [] : lines.filter((l) => LINE.test(l)).slice(-options.tail);
    const emit = (batch: readonly string[]): void => {
      for (const l of batch) {
        const r = render(l);
        if (r) sink(r.stream, r.text);
      }
    };
    emit(lines);
    if (!options.follow) return;
    for (;;) {
      options.signal?.throwIfAborted();
      const done = (await options.finished?.()) ?? true;
      const more = await readMore();
      emit(more);
      if (done && more.length === 0) return;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
    }
  } finally {
    await fh.close();
  }
}
