import { readFile } from 'node:fs/promises';
import { markPhase } from '../engine/phase-marks.js';
import { parseCliArgs, UsageError, USAGE, type CliCommand } from './cli-args.js';
import type { ShimConfigFile } from './config-file.js';
import { isEngineCommand } from './run/engine-commands.js';
import type * as BuildProgram from './build/build-program.js';
import type * as EngineProgram from './run/engine-program.js';
import type * as ImageProgram from './image/image-program.js';
import type * as ServeProgram from './serve-program.js';
import { StderrLogger } from './stderr-logger.js';

// Each command loads only its own part (the CRI server with gRPC and every module for `serve`,
// the image tools for `image`): loading all of it took 0.45 s before any command ran.
// The serve, engine, build and image commands load as one bundled module each when the build
// made them (see build/bundle-cli.mjs); the paths are variables so that tsc leaves them alone.
const SERVE_BUNDLE = './serve-program.bundle.js';
const ENGINE_BUNDLE = './run/engine-cli.bundle.js';
const BUILD_BUNDLE = './build/build-cli.bundle.js';
const IMAGE_BUNDLE = './image/image-cli.bundle.js';

/** Where each command's program comes from: bundles loaded on use here, or the startup snapshot's own (snapshot-main.ts). */
export interface CliPrograms {
  serve: () => Promise<typeof ServeProgram>;
  engine: () => Promise<typeof EngineProgram>;
  build: () => Promise<typeof BuildProgram>;
  image: () => Promise<typeof ImageProgram>;
}

const programsOnUse: CliPrograms = {
  serve: () => (import(SERVE_BUNDLE) as Promise<typeof ServeProgram>).catch(() => import('./serve-program.js')),
  engine: () => (import(ENGINE_BUNDLE) as Promise<typeof EngineProgram>).catch(() => import('./run/engine-program.js')),
  build: () => (import(BUILD_BUNDLE) as Promise<typeof BuildProgram>).catch(() => import('./build/build-program.js')),
  image: () => (import(IMAGE_BUNDLE) as Promise<typeof ImageProgram>).catch(() => import('./image/image-program.js')),
};

/**
 * glibc's malloc for a long-running daemon, set before the serve bundle loads and libuv's thread
 * pool starts: two arenas (each thread that allocates would get its own, up to 16 on two cores)
 * and a fixed 1 MiB mmap and trim threshold (glibc raises the mmap threshold up to 32 MiB
 * after a large block is freed, and from then on a pull's buffers come from the heaps and stay
 * resident between live blocks; 128 KiB, glibc's starting value, made the large gzip pull
 * 1.27x slower in one run). Measured in bench/README.md (session 9). Gives the error's message
 * when the addon could not do it.
 */
async function tuneMallocForServe(): Promise<string | undefined> {
  try {
    (await import('@shimkit/host-helper')).tuneMalloc({ arenaMax: 2, mmapThreshold: 1024 * 1024, trimThreshold: 1024 * 1024 });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Where the CLI writes and which process it stops on signals (the real process by default). */
export interface CliIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** The terminal for progress bars (default: process.stderr when it is a TTY; none when stderr is given). */
  tty?: NodeJS.WriteStream;
  /** Stops an image or build command (default: the first SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Resolves with the name of the first SIGTERM/SIGINT. */
  waitForSignal?: () => Promise<string>;
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function processSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (name: string): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(name);
    };
    const onTerm = (): void => on('SIGTERM');
    const onInt = (): void => on('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
}

/** Runs a command with `io.signal`, or else with a signal that the first SIGINT/SIGTERM aborts. */
async function withStopSignal(io: CliIo, run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  if (io.signal !== undefined) return run(io.signal);
  const controller = new AbortController();
  const onSignal = (name: string): void => controller.abort(new Error(`got ${name}`));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

async function runImage(argv: readonly string[], io: CliIo, out: (t: string) => void, err: (t: string) => void, programs: CliPrograms): Promise<number> {
  const { runImageCli } = await programs.image();
  const tty = io.tty ?? (io.stderr === undefined && process.stderr.isTTY ? process.stderr : undefined);
  return withStopSignal(io, (signal) => runImageCli(argv, { stdout: out, stderr: err, signal, ...(tty ? { tty } : {}) }));
}

async function runBuild(argv: readonly string[], io: CliIo, out: (t: string) => void, err: (t: string) => void, programs: CliPrograms): Promise<number> {
  const { runBuildCli } = await programs.build();
  return withStopSignal(io, (signal) => runBuildCli(argv, { stdout: out, stderr: err, signal }));
}

/** Runs `shimkit <argv>`; resolves with the exit code (0 ok, 1 failed, 2 bad usage or config). */
export async function runCli(argv: readonly string[], io: CliIo = {}, programs: CliPrograms = programsOnUse): Promise<number> {
  const out = io.stdout ?? ((t) => void process.stdout.write(t));
  const err = io.stderr ?? ((t) => void process.stderr.write(t));
  if (argv[0] === 'image') return runImage(argv.slice(1), io, out, err, programs);
  if (argv[0] === 'build') return runBuild(argv.slice(1), io, out, err, programs);
  if (isEngineCommand(argv)) return (await programs.engine().finally(() => markPhase('engine commands loaded'))).runEngineCli(argv, { stdout: out, stderr: err, ...(io.stdout ? {} : { stdoutBytes: (c) => void process.stdout.write(c), stderrBytes: (c) => void process.stderr.write(c) }) });
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`shimkit: ${e.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (command.kind === 'help') {
    out(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command.kind === 'version') {
    out(`shimkit ${await packageVersion()}\n`);
    return EXIT.ok;
  }

  const mallocNotTuned = await tuneMallocForServe(); // before the first file read starts libuv's thread pool
  const version = await packageVersion();
  let config: ShimConfigFile = {};
  // Loaded here, as one bundle with everything serve uses (config-file.ts reaches @shimkit/cri-types, gRPC).
  const { checkRegistryFiles, reloadRegistryOnHangup, withContainersDefaults, systemdNotifier, takeListenFd, loadShimConfigFile, isCriError, isShimError, createShim, provide, Tokens, ImageStoreBackend } =
    await programs.serve();
  let images;
  let listenFd;
  try {
    listenFd = takeListenFd();
    if (command.config !== undefined) config = await loadShimConfigFile(command.config);
    images = withContainersDefaults(config.images);
    await checkRegistryFiles(images);
  } catch (e) {
    err(`shimkit: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  const logger = new StderrLogger({ level: command.logLevel ?? config.logLevel ?? 'info', format: command.logFormat ?? config.logFormat ?? 'text', write: err });
  if (mallocNotTuned) logger.warn('glibc malloc not tuned', { error: mallocNotTuned });
  const metricsAddress = command.metricsAddress ?? config.metrics?.address;
  const tracingEndpoint = command.tracingEndpoint ?? config.tracing?.endpoint;
  // Listen before starting, so a signal during startup still shuts down cleanly.
  const signalled = (io.waitForSignal ?? processSignal)();
  let shim;
  try {
    shim = await createShim({
      socket: command.socket,
      ...(listenFd === undefined ? {} : { listenFd }),
      root: command.root,
      state: command.state,
      runtimeName: config.runtimeName ?? 'shimkit',
      ...(config.idleCompaction === undefined ? {} : { idleCompaction: config.idleCompaction }),
      runtimeVersion: version,
      defaults: { ...(config.runtime ? { runtime: config.runtime } : {}), images, ...(config.network ? { network: config.network } : {}) },
      modules: [provide(Tokens.Logger, logger)],
      ...(metricsAddress === undefined && config.metrics === undefined ? {} : { metrics: { ...config.metrics, ...(metricsAddress === undefined ? {} : { address: metricsAddress }) } }),
      ...(tracingEndpoint === undefined ? {} : { tracing: { ...config.tracing, endpoint: tracingEndpoint } }),
    });
  } catch (e) {
    const code = isShimError(e) || isCriError(e) ? e.code : undefined;
    logger.error('shim failed to start', { code, error: e });
    return EXIT.failed;
  }
  const backend = shim.get(Tokens.ImageBackend);
  const stopReloading = backend instanceof ImageStoreBackend ? reloadRegistryOnHangup(backend, { ...(command.config === undefined ? {} : { configFile: command.config }), logger, initial: images }) : () => undefined;
  const systemd = systemdNotifier(shim.get(Tokens.HostHelper));
  logger.info('shimkit serving', { version, socket: shim.socket, root: command.root, state: command.state, pid: process.pid, metrics: shim.metricsAddress, tracing: tracingEndpoint, ...(listenFd === undefined ? {} : { activated: true }) });
  await systemd.send('READY=1').catch((e: unknown) => logger.warn('could not tell systemd we are ready', { error: (e as Error).message }));
  const name = await signalled;
  stopReloading();
  logger.info('shutting down; containers keep running', { signal: name });
  await systemd.send('STOPPING=1').catch((e: unknown) => logger.warn('could not tell systemd we are stopping', { error: (e as Error).message }));
  await shim.close({ timeoutMs: 5_000 });
  logger.info('shim stopped');
  return EXIT.ok;
}
