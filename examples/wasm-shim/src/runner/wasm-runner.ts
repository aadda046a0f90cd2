#!/usr/bin/env node
// The process of one wasm container: `wasm-runner [runner.json]`. Started detached in a session of
// its own by the wasm backend, it outlives the shim. Without an argument it is a warm runner: it
// waits for the config's path on fd 3 (and ends quietly if the pipe closes first). It joins the
// container's cgroups, compiles and instantiates the module with node:wasi, says `ready` (or why
// not) on fd 3, runs the module and writes how it ended to the exit file. A kill (stop, OOM) ends
// it without one: the backend then writes the exit file from what it sees (the signal, the
// cgroup's OOM count).
import { readFileSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { WASI } from 'node:wasi';
import { CriLogWriter } from './cri-log-writer.js';
import { writeExitFile } from './exit-file.js';
import { START_FAILED_EXIT_CODE, TRAP_EXIT_CODE, type RunnerConfig } from './runner-config.js';
import { wrapWasiImports } from './wasi-imports.js';

const BACKEND_FD = 3;

/** The pipe to the backend on fd 3, or undefined when started without one (by hand). */
function backendChannel(): Socket | undefined {
  try {
    return new Socket({ fd: BACKEND_FD, readable: true, writable: true });
  } catch {
    return undefined;
  }
}

/** The first line the backend sends, or undefined when it closes the pipe first. */
function firstLine(channel: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      channel.off('data', onData);
      channel.pause();
      resolve(text.slice(0, newline));
    };
    channel.on('data', onData);
    channel.once('end', () => resolve(undefined));
    channel.once('error', () => resolve(undefined));
  });
}

/** Says `line` and closes the pipe; awaited, as the module then holds the thread. */
async function tellBackend(channel: Socket | undefined, line: string): Promise<void> {
  if (channel === undefined || channel.destroyed) return;
  // the backend may be gone (a restarted shim): nothing to tell then
  await new Promise<void>((resolve) => {
    channel.once('error', () => resolve());
    channel.end(`${line}\n`, () => resolve());
  });
  channel.destroy();
}

function finish(config: RunnerConfig, log: CriLogWriter, exitCode: number, message?: string): never {
  if (message !== undefined) log.write('stderr', Buffer.from(`wasm-runner: ${message}\n`));
  log.close();
  writeExitFile(config.exitFile, { exitCode, exitedAt: new Date().toISOString(), oomKilled: false, ...(message === undefined ? {} : { message }) });
  process.exit(exitCode);
}

async function main(configPath: string, channel: Socket | undefined): Promise<void> {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as RunnerConfig;
  const log = new CriLogWriter(config.logPath);
  let instance: WebAssembly.Instance;
  let wasi: WASI;
  try {
    for (const dir of config.cgroupDirs) writeFileSync(`${dir}/cgroup.procs`, String(process.pid));
    const module = await WebAssembly.compile(readFileSync(config.module));
    wasi = new WASI({
      version: 'preview1',
      args: config.args,
      env: config.env,
      preopens: Object.fromEntries(config.preopens.map((p) => [p.guest, p.host])),
      returnOnExit: true,
    });
    const readOnlyFds = config.preopens.flatMap((p, i) => (p.readOnly ? [3 + i] : []));
    const imports = wrapWasiImports((wasi.getImportObject() as { wasi_snapshot_preview1: Parameters<typeof wrapWasiImports>[0] }).wasi_snapshot_preview1, {
      log,
      readOnlyFds,
      memory: () => instance.exports['memory'] as WebAssembly.Memory,
    });
    instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: imports });
  } catch (e) {
    const message = `cannot start ${config.module}: ${e instanceof Error ? e.message : String(e)}`;
    await tellBackend(channel, `error ${message}`);
    finish(config, log, START_FAILED_EXIT_CODE, message);
  }
  await tellBackend(channel, 'ready');
  let exitCode: number;
  try {
    exitCode = wasi.start(instance);
  } catch (e) {
    finish(config, log, TRAP_EXIT_CODE, `the module trapped: ${e instanceof Error ? e.message : String(e)}`);
  }
  finish(config, log, exitCode);
}

const channel = backendChannel();
const configPath = process.argv[2] ?? (channel === undefined ? undefined : await firstLine(channel));
if (configPath === undefined) {
  // a warm runner the backend no longer needs (it closed, or the shim stopped)
  if (channel === undefined) process.stderr.write('usage: wasm-runner [runner.json]  (without it, the path comes on fd 3)\n');
  process.exit(channel === undefined ? 2 : 0);
}
await main(configPath, channel);
