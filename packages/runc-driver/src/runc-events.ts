import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { RuncError, isRuncError } from './runc-error.js';
import { failure, readCallLog, type CallLog } from './runc-invoke.js';
import { parseEvent } from './runc-parse.js';
import type { RuntimeEvent } from './runc-types.js';

/** What {@link streamEvents} needs from its Runc. */
export interface EventStreamSpec {
  binary: string;
  id: string;
  args: readonly string[];
  prepareLog: () => Promise<CallLog>;
  globals: (log: CallLog) => string[];
  signal?: AbortSignal;
}

/**
 * Runs `runc events` and yields one event per output line. The stream ends normally when the
 * container is gone (stopped or deleted); it throws on other runtime failures.
 */
export async function* streamEvents(spec: EventStreamSpec): AsyncGenerator<RuntimeEvent, void, undefined> {
  const { signal } = spec;
  if (signal?.aborted) throw new RuncError('ABORTED', `events ${spec.id}: aborted before start`, { cause: signal.reason });
  const log = await spec.prepareLog();
  const argsAll = [...spec.globals(log), ...spec.args];
  const argv = [spec.binary, ...argsAll];
  const child = spawn(spec.binary, argsAll, { stdio: ['ignore', 'pipe', 'pipe'] });
  let spawnError: NodeJS.ErrnoException | undefined;
  const closed = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve({ code: null, sig: null });
    });
    child.once('close', (code, sig) => resolve({ code, sig }));
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-65536);
  });
  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() !== '') yield parseEvent(line);
    }
    const { code, sig } = await closed;
    if (signal?.aborted) throw new RuncError('ABORTED', `events ${spec.id}: aborted`, { argv, cause: signal.reason });
    if (spawnError) {
      throw new RuncError('BINARY_NOT_FOUND', `runtime binary not found or not executable: ${spec.binary}`, { argv, cause: spawnError });
    }
    if (code === 0) return;
    const err = failure(spec.binary, { verb: 'events', id: spec.id, globals: [], args: spec.args }, argv, {
      stderr,
      logText: log.json ? await readCallLog(log) : '',
      ...(code === null ? {} : { exitCode: code }),
      ...(sig ? { exitSignal: sig } : {}),
    });
    if (isRuncError(err, 'NOT_FOUND') || isRuncError(err, 'INVALID_STATE')) return;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null && !spawnError) child.kill('SIGKILL');
    await closed;
    if (log.owned) await rm(log.path, { force: true });
  }
}
