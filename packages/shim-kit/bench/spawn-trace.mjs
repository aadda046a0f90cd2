// Profiling aid for the shim process: records every child process it starts (command, start,
// end, in wall-clock ms) so the benchmark can split each RPC's time into runc, conmon, CNI
// plugins, mount tools and the shim's own code. Must run before the shim's modules load.
import childProcess from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';

const now = () => performance.timeOrigin + performance.now();

const RUNC_COMMANDS = new Set(['create', 'start', 'kill', 'delete', 'exec', 'state', 'update', 'list', 'ps', 'events', 'pause', 'resume', 'run', 'features']);

/** A short name: the binary, plus runc's subcommand or the CNI command. */
function label(file, args, options) {
  const bin = basename(String(file));
  const cni = options?.env?.CNI_COMMAND;
  if (cni) return `cni ${bin} ${cni}`;
  const sub = (args ?? []).map(String).find((a) => RUNC_COMMANDS.has(a));
  return (bin === 'runc' || bin === 'crun') && sub ? `${bin} ${sub}` : bin;
}

/** Wraps spawn and execFile so that every child's lifetime is appended to `file` (JSON lines). */
export function installSpawnTrace(file) {
  const record = (name, t0) => appendFileSync(file, `${JSON.stringify({ name, t0, t1: now() })}\n`);
  const { spawn, execFile } = childProcess;
  childProcess.spawn = function tracedSpawn(cmd, args, options) {
    const t0 = now();
    const child = spawn.apply(this, arguments);
    const opts = Array.isArray(args) ? options : args;
    child.once('exit', () => record(label(cmd, Array.isArray(args) ? args : [], opts), t0));
    return child;
  };
  childProcess.execFile = function tracedExecFile(cmd, args, options) {
    const t0 = now();
    const child = execFile.apply(this, arguments);
    const opts = Array.isArray(args) ? options : args;
    child.once('exit', () => record(label(cmd, Array.isArray(args) ? args : [], typeof opts === 'object' ? opts : undefined), t0));
    return child;
  };
  syncBuiltinESMExports();
}
