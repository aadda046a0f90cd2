import { spawn } from 'node:child_process';
import { accessSync, constants as F } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Fzstd from 'fzstd';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';
import { chunksOf } from '../stream/chunks-of.js';

const fzstd = loadOnUse<typeof Fzstd>('fzstd');

/** How zstd layers are decoded: by libzstd in this process (zstd-napi), by the zstd program, or in JavaScript (fzstd). */
export type ZstdDecoder = 'native' | 'program' | 'javascript';

/** The part of zstd-napi's binding used here (declared here: the optional dependency may be absent when this builds). */
interface ZstdBinding {
  /** ZSTD_DCtx; decompressStream wraps ZSTD_decompressStream: [its return value, bytes written, bytes read]. */
  DCtx: new () => { decompressStream(output: Uint8Array, input: Uint8Array): [number, number, number] };
}

const zstdNapi = loadOnUse<ZstdBinding>('zstd-napi/binding');
let binding: ZstdBinding | null | undefined;
let bindingError: Error | undefined;

/**
 * zstd-napi's binding, loaded at the first zstd layer (an idle shim never maps it), or null when
 * it is not installed: it is an optional dependency built from source at install time.
 */
function zstdBinding(): ZstdBinding | null {
  if (binding !== undefined) return binding;
  try {
    binding = zstdNapi();
  } catch (e) {
    binding = null;
    bindingError = e as Error;
  }
  return binding;
}

let programPath: string | null | undefined;

/** The zstd program on PATH, or null (looked up once). */
export function zstdProgram(): string | null {
  if (programPath !== undefined) return programPath;
  programPath = null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, 'zstd'), F.X_OK);
      programPath = join(dir, 'zstd');
      break;
    } catch {
      // not in this directory
    }
  }
  return programPath;
}

const failed = (message: string, cause?: unknown) => new ImageStoreError('DECOMPRESS_FAILED', `zstd: ${message}`, cause === undefined ? {} : { cause });

/**
 * Decodes zstd with Debian's zstd program, streamed through its pipes, as containerd hands gzip
 * to unpigz: measured on a 56 MiB layer it is several times faster than fzstd in JavaScript,
 * which took 2.5x the time of Node's gunzip and ran on the event loop.
 */
async function* decodeWithProgram(source: AsyncIterable<Uint8Array>, program: string): AsyncGenerator<Buffer> {
  const child = spawn(program, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  exited.catch(() => undefined);
  const feeding = pipeline(Readable.from(source, { objectMode: false }), child.stdin);
  // Its failure also ends the output early; it is reported below, after the output.
  feeding.catch(() => undefined);
  try {
    yield* chunksOf(child.stdout);
    await feeding.catch((e: unknown) => {
      throw e instanceof ImageStoreError ? e : failed(`feeding ${program}: ${(e as Error).message}`, e);
    });
    const code = await exited.catch((e: unknown) => {
      throw failed(`running ${program}: ${(e as Error).message}`, e);
    });
    if (code !== 0) throw failed(`${program} exited with ${code}: ${stderr.trim() || 'no message'}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    child.stdout.destroy();
  }
}

/** Bytes of output per chunk, as gunzip's chunkSize: fewer, bigger writes downstream. */
const NATIVE_OUTPUT_BYTES = 256 * 1024;

/**
 * Decodes zstd with libzstd in this process. Measured against the zstd program on the pull
 * bench's layers (shim-kit's bench/zstd-decode.mjs): no process start and no 64 KiB pipe round
 * trips, the first bytes after <1 ms instead of 25-30 ms, a third of the CPU. Each call decodes
 * one input chunk on the event loop, in slices of well under a millisecond. Output is handed on
 * in full 256 KiB chunks: a chunk per input chunk (64 KiB of a random file) made the tar reader
 * and the file writers do four times the calls, and the pull bench's zstd pull 1.28x its gzip
 * pull (0.96x with full chunks).
 */
async function* decodeNatively(source: AsyncIterable<Uint8Array>, zstd: ZstdBinding): AsyncGenerator<Buffer> {
  const context = new zstd.DCtx();
  let frameOpen = false;
  let total = 0;
  let output = Buffer.allocUnsafe(NATIVE_OUTPUT_BYTES);
  let filled = 0;
  const decode = (input: Uint8Array) => {
    try {
      return context.decompressStream(output.subarray(filled), input);
    } catch (e) {
      throw failed(`${(e as Error).message} (after ${total} bytes of output)`, e);
    }
  };
  for await (const chunk of source) {
    let input = chunk;
    for (;;) {
      const room = output.length - filled;
      const [hint, produced, consumed] = decode(input);
      input = input.subarray(consumed);
      // A call that moved nothing (no input left, the frame already flushed) says nothing about the frame.
      if (consumed > 0 || produced > 0) frameOpen = hint !== 0;
      filled += produced;
      total += produced;
      if (filled === output.length) {
        yield output;
        output = Buffer.allocUnsafe(NATIVE_OUTPUT_BYTES);
        filled = 0;
      }
      // a call that filled its room may have left decoded bytes inside the context
      if (input.length === 0 && produced < room) break;
    }
  }
  if (frameOpen) throw failed(`the stream ends inside a frame, after ${total} bytes of output (truncated)`);
  if (filled > 0) yield output.subarray(0, filled);
}

/** Decodes zstd in JavaScript, for hosts without zstd-napi or the zstd program. */
async function* decodeInJavaScript(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const decoder = new (fzstd().Decompress)((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (e) {
      throw failed((e as Error).message, e);
    }
  };
  for await (const chunk of source) {
    push(chunk, false);
    const ready = out;
    out = [];
    yield* ready;
  }
  push(new Uint8Array(0), true);
  yield* out;
}

/** The decoder unzstd uses when not told: the fastest one this host has. */
export function defaultZstdDecoder(): ZstdDecoder {
  if (zstdBinding() !== null) return 'native';
  return zstdProgram() === null ? 'javascript' : 'program';
}

/** Decodes a zstd stream: in this process by libzstd when zstd-napi is installed, else by the zstd program when there is one, else in JavaScript. */
export function unzstd(source: AsyncIterable<Uint8Array>, decoder: ZstdDecoder = defaultZstdDecoder()): AsyncGenerator<Buffer> {
  if (decoder === 'javascript') return decodeInJavaScript(source);
  if (decoder === 'native') {
    const zstd = zstdBinding();
    if (zstd === null) throw failed(`zstd-napi is not installed or did not build (${bindingError?.message ?? 'unknown'})`, bindingError);
    return decodeNatively(source, zstd);
  }
  const program = zstdProgram();
  if (program === null) throw failed('the zstd program is not on PATH (Debian package zstd)');
  return decodeWithProgram(source, program);
}
