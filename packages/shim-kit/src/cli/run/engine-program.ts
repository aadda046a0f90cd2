import { fileURLToPath } from 'node:url';
import { loadContainersRegistryHosts, type RegistryClientOptions } from '@shimkit/image-store';
import { Command, CommanderError } from 'commander';
import { ContainerEngine } from '../../engine/container-engine.js';
import { DEFAULT_ENGINE_ROOT, DEFAULT_ENGINE_RUNROOT } from '../../engine/engine-layout.js';
import { isShimError } from '../../errors.js';
import { containerCommands } from './container-commands.js';
import type { EngineCommandIo } from './engine-io.js';
import { commandName } from './engine-commands.js';
import { imageCommands } from './image-commands.js';
import { createCommand, runCommand } from './run-command.js';

/** podman's exit code for a failure of the engine itself (not of the container's command). */
export const ENGINE_FAILED = 125;

/** Where the engine CLI writes and what it reads. */
export interface EngineCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutBytes?: (chunk: Buffer) => void;
  stderrBytes?: (chunk: Buffer) => void;
  stdin?: NodeJS.ReadableStream;
}

interface GlobalFlags {
  root: string;
  runroot: string;
  runtime: string;
  cgroupParent?: string;
}

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** The command conmon runs after a detached container exits: `shimkit ... container-cleanup ID`. */
function exitCommand(flags: GlobalFlags): (id: string) => string[] {
  return (id) => [process.execPath, MAIN, '--root', flags.root, '--runroot', flags.runroot, '--runtime', flags.runtime, ...(flags.cgroupParent ? ['--cgroup-parent', flags.cgroupParent] : []), 'container-cleanup', id];
}

/** A message of a failed start that says the command could not be run: podman's 127 (not found) or 126 (not executable). */
function commandExitCode(e: unknown): number {
  const text = e instanceof Error ? e.message : '';
  if (/executable file not found|no such file or directory/i.test(text)) return 127;
  if (/permission denied/i.test(text)) return 126;
  return ENGINE_FAILED;
}

/** The registries of registries.conf and /etc/containers/certs.d, as podman reads them. */
const containersRegistry = async (): Promise<RegistryClientOptions> => ({ hosts: await loadContainersRegistryHosts() });

/** Runs `shimkit run|ps|logs|... <argv>` (global `--root`/`--runroot` before the command); resolves with the exit code. */
export async function runEngineCli(argv: readonly string[], cli: EngineCliIo): Promise<number> {
  let exitCode = 0;
  let engine: ContainerEngine | undefined;
  const program = new Command('shimkit')
    .description('Run containers without a daemon (podman\'s everyday commands): conmon keeps detached containers running after the command exits.')
    .option('--root <dir>', 'persistent directory: images (shared with `shimkit serve --root`) and containers', DEFAULT_ENGINE_ROOT)
    .option('--runroot <dir>', 'volatile directory: runtime state, exit files, network namespaces', DEFAULT_ENGINE_RUNROOT)
    .option('--runtime <path>', 'OCI runtime binary', 'runc')
    .option('--cgroup-parent <path>', 'cgroupfs parent of the containers\' cgroups', '/shimkit')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: cli.stdout, writeErr: cli.stderr });
  const stdin = (cli.stdin ?? process.stdin) as NodeJS.ReadStream;
  const io: EngineCommandIo = {
    out: cli.stdout,
    err: cli.stderr,
    outBytes: cli.stdoutBytes ?? ((c) => cli.stdout(c.toString())),
    errBytes: cli.stderrBytes ?? ((c) => cli.stderr(c.toString())),
    stdin,
    ...(cli.stdin === undefined && process.stderr.isTTY ? { progressTty: process.stderr } : {}),
    ...(cli.stdin === undefined && process.stdin.isTTY && process.stdout.isTTY ? { terminal: { input: process.stdin, output: process.stdout } } : {}),
    onSignal: (listener) => {
      const on = (name: NodeJS.Signals): void => listener(name);
      process.on('SIGINT', on).on('SIGTERM', on);
      return () => void process.off('SIGINT', on).off('SIGTERM', on);
    },
    engine: () => {
      const flags = program.opts<GlobalFlags>();
      engine ??= new ContainerEngine({ root: flags.root, runroot: flags.runroot, runtime: flags.runtime, registry: containersRegistry, ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}) });
      return engine;
    },
    setExitCode: (code) => (exitCode = code),
  };
  Object.defineProperty(io, 'exitCommand', { get: () => exitCommand(program.opts<GlobalFlags>()), enumerable: true });
  // only the command asked for is defined (all of them with their options took a tenth of a `run`)
  const asked = commandName(argv);
  const want = (name: string): boolean => asked === undefined || asked === name;
  if (want('run')) runCommand(program, io);
  if (want('create')) createCommand(program, io);
  containerCommands(program, io, want);
  imageCommands(program, io, want);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: cli.stdout, writeErr: cli.stderr, outputError: (text, write) => write(text) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      return ENGINE_FAILED;
    }
    const message = e instanceof Error ? e.message : String(e);
    cli.stderr(`shimkit: ${message.split('\n')[0]}\n`);
    if (!isShimError(e)) return ENGINE_FAILED;
    return e.code === 'Internal' ? commandExitCode(e) : ENGINE_FAILED;
  } finally {
    await engine?.close();
  }
}
