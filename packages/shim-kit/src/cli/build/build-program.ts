import { resolve } from 'node:path';
import { buildImage, ImageStore, isImageStoreError } from '@shimkit/image-store';
import type { Platform } from '@shimkit/oci-spec';
import { hostPlatform } from '@shimkit/oci-spec';
import { Command, Option } from 'commander';
import { RuncStepRunner } from '../../build/runc-step-runner.js';
import { CLI_EXIT as EXIT, CliUsageError, describeFailure, usageExitCode } from '../image/cli-failure.js';
import { storeRoot } from '../image/copy-command.js';

export interface BuildCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal: AbortSignal;
}

interface BuildFlags {
  tag?: string;
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  network: 'none' | 'host';
  platform?: string;
  root: string;
  runtime: string;
  runtimeRoot: string;
  quiet?: boolean;
}

function buildArg(value: string, previous: string[]): string[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(=|$)/.test(value)) throw new CliUsageError(`--build-arg ${JSON.stringify(value)} must be NAME=VALUE or NAME`);
  return [...previous, value];
}

/** `os/arch[/variant]`. */
function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined) throw new CliUsageError(`--platform ${JSON.stringify(text)} must be OS/ARCH or OS/ARCH/VARIANT`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function program(io: BuildCliIo, run: (context: string, flags: BuildFlags) => Promise<void>): Command {
  return new Command('shimkit build')
    .description('Build an image from a Containerfile (or Dockerfile) into the image store of `shimkit serve --root DIR`, each RUN, COPY and ADD a cached layer.')
    .argument('<context>', 'the build context directory')
    .option('-t, --tag <name>', 'name of the image built (example.com/app:v1)')
    .option('-f, --file <path>', 'the Containerfile (default: CONTEXT/Containerfile, else CONTEXT/Dockerfile)')
    .option('--build-arg <name=value>', 'a value for an ARG (repeatable; NAME alone takes it from the environment)', buildArg, [])
    .option('--target <stage>', 'build up to this stage (name or index)')
    .option('--no-cache', 'run every step (what is built is still cached)')
    .addOption(new Option('--network <mode>', 'network of RUN steps').choices(['none', 'host']).default('none'))
    .option('--platform <os/arch[/variant]>', "platform of base images (default: this host's)")
    .option('--root <dir>', 'the root directory of `shimkit serve` whose image store gets the image', '/var/lib/shimkit')
    .option('--runtime <path>', 'the OCI runtime that runs RUN steps', 'runc')
    .option('--runtime-root <dir>', "the runtime's state directory for build containers", '/run/shimkit-build/runc')
    .option('-q, --quiet', 'print only the image id')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, w) => w(text) })
    .allowExcessArguments(false)
    .action(run);
}

/** Runs `shimkit build <argv>`; resolves with the exit code. */
export async function runBuildCli(argv: readonly string[], io: BuildCliIo): Promise<number> {
  let what = 'shimkit build';
  const build = async (context: string, flags: BuildFlags): Promise<void> => {
    const buildArgs: Record<string, string> = {};
    for (const arg of flags.buildArg) {
      const at = arg.indexOf('=');
      if (at === -1) {
        const fromEnv = process.env[arg];
        if (fromEnv !== undefined) buildArgs[arg] = fromEnv;
      } else buildArgs[arg.slice(0, at)] = arg.slice(at + 1);
    }
    const platform = flags.platform === undefined ? hostPlatform() : parsePlatform(flags.platform);
    what = `build of ${flags.tag ?? 'an image'} from ${context}`;
    const store = await ImageStore.open({ root: storeRoot(flags.root), keepLayerBlobs: true, signal: io.signal });
    const runner = new RuncStepRunner({ binary: flags.runtime, runtimeRoot: flags.runtimeRoot, helper: store.snapshots.helper });
    try {
      const result = await buildImage(store, {
        context: resolve(context),
        ...(flags.file !== undefined ? { file: resolve(flags.file) } : {}),
        ...(flags.tag !== undefined ? { tag: flags.tag } : {}),
        buildArgs,
        ...(flags.target !== undefined ? { target: flags.target } : {}),
        noCache: !flags.cache,
        network: flags.network,
        platform,
        runner,
        signal: io.signal,
        ...(flags.quiet
          ? {}
          : {
              onStep: (s) => io.stderr(`STEP ${s.step}/${s.of}: ${s.text}\n${s.cached ? '--> Using cache\n' : ''}`),
              onOutput: (chunk) => io.stderr(chunk.toString('utf8')),
            }),
      });
      if (!flags.quiet) io.stderr(`COMMIT ${result.image.repoTags[0] ?? ''}\n--> ${result.stepsRun} steps run, ${result.stepsCached} from the cache\n`);
      io.stdout(`${result.image.id.slice('sha256:'.length)}\n`);
    } finally {
      await runner.close();
      await store.close();
    }
  };
  const command = program(io, build);
  if (argv.length === 0) {
    io.stderr(command.helpInformation());
    return EXIT.usage;
  }
  try {
    await command.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    const usage = usageExitCode(e, 'shimkit build', io.stderr);
    if (usage !== undefined) return usage;
    if (io.signal.aborted) {
      io.stderr(`shimkit: ${what}: interrupted; no image was named\n`);
      return EXIT.failed;
    }
    if (isImageStoreError(e, 'BUILD_SYNTAX')) {
      io.stderr(`shimkit build: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`shimkit: ${describeFailure(what, e)}\n`);
    return EXIT.failed;
  }
}
