import type { CriLogWriter } from './cri-log-writer.js';

type WasiFunction = (...args: never[]) => unknown;
type Imports = Record<string, WasiFunction>;

const RIGHT = (bit: number): bigint => 1n << BigInt(bit);
/**
 * The WASI preview 1 rights that only read: fd_read, fd_seek, fd_tell, fd_advise, path_open,
 * fd_readdir, path_readlink, path_filestat_get, fd_filestat_get, poll_fd_readwrite. Everything
 * that creates, writes, renames, links, removes, truncates or sets times is left out.
 */
export const READ_ONLY_RIGHTS = RIGHT(1) | RIGHT(2) | RIGHT(5) | RIGHT(7) | RIGHT(13) | RIGHT(14) | RIGHT(15) | RIGHT(18) | RIGHT(21) | RIGHT(27);

const ERRNO_SUCCESS = 0;
const ERRNO_FAULT = 21;

/** Options of {@link wrapWasiImports}. */
export interface WrapOptions {
  /** Where fd 1 and 2 go. */
  log: CriLogWriter;
  /** The module's memory, once instantiated. */
  memory: () => WebAssembly.Memory;
  /** Preopened fds to leave with read-only rights. */
  readOnlyFds: readonly number[];
}

/**
 * The `wasi_snapshot_preview1` imports of node:wasi with two changes. Writes to fd 1 and 2 go to
 * the CRI log (a pipe read by another thread would lose output when the process is killed). And
 * read-only preopens lose their write rights before the module's first WASI call: node:wasi has
 * no read-only preopen, but its uvwasi checks rights on every call, and rights can only shrink
 * (fd_fdstat_set_rights) and are inherited by what is opened below the directory. They are
 * dropped inside the first call because node:wasi refuses calls before `start()`; a module can do
 * nothing to a file without a WASI call, so none reaches a file before the rights are gone.
 */
export function wrapWasiImports(imports: Imports, options: WrapOptions): Imports {
  const wrapped: Imports = {};
  let restricted = options.readOnlyFds.length === 0;
  const restrict = (): void => {
    restricted = true;
    for (const fd of options.readOnlyFds) dropWriteRights(imports, options.memory(), fd);
  };
  for (const [name, fn] of Object.entries(imports)) {
    wrapped[name] = (...args: never[]) => {
      if (!restricted) restrict();
      return fn(...args);
    };
  }
  const fdWrite = imports['fd_write'] as (fd: number, iovs: number, count: number, written: number) => number;
  wrapped['fd_write'] = ((fd: number, iovs: number, count: number, written: number): number => {
    if (!restricted) restrict();
    if (fd !== 1 && fd !== 2) return fdWrite(fd, iovs, count, written);
    const memory = options.memory();
    try {
      const view = new DataView(memory.buffer);
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < count; i++) {
        const base = view.getUint32(iovs + 8 * i, true);
        const length = view.getUint32(iovs + 8 * i + 4, true);
        parts.push(new Uint8Array(memory.buffer, base, length));
        total += length;
      }
      options.log.write(fd === 1 ? 'stdout' : 'stderr', Buffer.concat(parts));
      view.setUint32(written, total, true);
      return ERRNO_SUCCESS;
    } catch (e) {
      if (e instanceof RangeError) return ERRNO_FAULT;
      throw e;
    }
  }) as WasiFunction;
  return wrapped;
}

/** fd_fdstat_get into scratch memory (restored after), then fd_fdstat_set_rights with the read-only subset. */
function dropWriteRights(imports: Imports, memory: WebAssembly.Memory, fd: number): void {
  const get = imports['fd_fdstat_get'] as (fd: number, out: number) => number;
  const set = imports['fd_fdstat_set_rights'] as (fd: number, base: bigint, inheriting: bigint) => number;
  const bytes = new Uint8Array(memory.buffer, 0, 24);
  const saved = bytes.slice();
  let base: bigint;
  let inheriting: bigint;
  try {
    const errno = get(fd, 0);
    if (errno !== ERRNO_SUCCESS) throw new Error(`fd_fdstat_get(${fd}) failed with WASI errno ${errno}`);
    const view = new DataView(memory.buffer);
    base = view.getBigUint64(8, true);
    inheriting = view.getBigUint64(16, true);
  } finally {
    bytes.set(saved);
  }
  const errno = set(fd, base & READ_ONLY_RIGHTS, inheriting & READ_ONLY_RIGHTS);
  if (errno !== ERRNO_SUCCESS) throw new Error(`dropping the write rights of preopen fd ${fd} failed with WASI errno ${errno}`);
}
