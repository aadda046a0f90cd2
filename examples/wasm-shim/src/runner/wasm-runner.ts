#!/usr/bin/env node
// The process of one wasm container: `wasm-runner <runner.json>`. Started detached in a session of
// its own by the wasm backend, it outlives the shim. It joins the container's cgroups, compiles
// and instantiates the module with node:wasi, says `ready` (or why not) on fd 3, runs the module
// and writes how it ended to the exit file. A kill (stop, OOM) ends it without one: the backend
// then writes the exit file from what it sees (the signal, the cgroup's OOM count).
import { closeSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { CriLogWriter } from './cri-log-writer.js';
import { writeExitFile } from './exit-file.js';
import { START_FAILED_EXIT_CODE, TRAP_EXIT_CODE, type RunnerConfig } from './runner-config.js';
import { wrapWasiImports } from './wasi-imports.js';

const READY_FD = 3;

function tellBackend(line: string): void {
  try {
    writeSync(READY_FD, `${line}\n`);
    closeSync(READY_FD);
  } catch {
    // started without the pipe (by hand), or the backend went away: nothing to tell
  }
}

function finish(config: RunnerConfig, log: CriLogWriter, exitCode: number, message?: string): never {
  if (message !== undefined) log.write('stderr', Buffer.from(`wasm-runner: ${message}\n`));
  log.close();
  writeExitFile(config.exitFile, { exitCode, exitedAt: new Date().toISOString(), oomKilled: false, ...(message === undefined ? {} : { message }) });
  process.exit(exitCode);
}

async function main(configPath: string): Promise<void> {
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
    tellBackend(`error ${message}`);
    finish(config, log, START_FAILED_EXIT_CODE, message);
  }
  tellBackend('ready');
  let exitCode: number;
  try {
    exitCode = wasi.start(instance);
  } catch (e) {
    finish(config, log, TRAP_EXIT_CODE, `the module trapped: ${e instanceof Error ? e.message : String(e)}`);
  }
  finish(config, log, exitCode);
}

const configPath = process.argv[2];
if (configPath === undefined) {
  process.stderr.write('usage: wasm-runner <runner.json>\n');
  process.exit(2);
}
await main(configPath);
