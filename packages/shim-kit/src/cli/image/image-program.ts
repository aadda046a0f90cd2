import { isImageStoreError } from '@shimkit/image-store';
import { Command } from 'commander';
import { CLI_EXIT as EXIT, describeFailure, usageExitCode } from './cli-failure.js';
import { copyCommand } from './copy-command.js';
import type { ImageCommandIo } from './image-io.js';
import { generateKeyCommand } from './generate-key-command.js';
import { inspectCommand } from './inspect-command.js';
import { signCommand } from './sign-command.js';
import { verifyCommand } from './verify-command.js';

export interface ImageCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  tty?: NodeJS.WriteStream;
  signal: AbortSignal;
}

function program(io: ImageCommandIo, write: { out: (t: string) => void; err: (t: string) => void }): Command {
  const image = new Command('shimkit image')
    .description('Inspect, copy, sign and verify container images (registries, OCI layouts and archives, docker archives, the shim\'s store).')
    .usage('<command> [options]')
    .exitOverride()
    .configureOutput({ writeOut: write.out, writeErr: write.err, outputError: (text, w) => w(text) })
    .showHelpAfterError('(run "shimkit image <command> --help" for its options)');
  for (const add of [inspectCommand, copyCommand, signCommand, verifyCommand, generateKeyCommand]) {
    add(image, io).exitOverride().configureOutput({ writeOut: write.out, writeErr: write.err }).allowExcessArguments(false);
  }
  return image;
}

/** Runs `shimkit image <argv>`; resolves with the exit code. */
export async function runImageCli(argv: readonly string[], io: ImageCliIo): Promise<number> {
  let what = `shimkit image ${argv[0] ?? ''}`.trim();
  const commandIo: ImageCommandIo = { out: io.stdout, err: io.stderr, signal: io.signal, describe: (w) => (what = w), ...(io.tty ? { tty: io.tty } : {}) };
  const image = program(commandIo, { out: io.stdout, err: io.stderr });
  if (argv.length === 0) {
    io.stderr(image.helpInformation());
    return EXIT.usage;
  }
  try {
    await image.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    const usage = usageExitCode(e, 'shimkit image', io.stderr);
    if (usage !== undefined) return usage;
    // An unparsable location is a usage error too.
    if (isImageStoreError(e, 'INVALID_ARGUMENT') && what.startsWith('shimkit image')) {
      io.stderr(`shimkit image: ${e.message}\n`);
      return EXIT.usage;
    }
    if (io.signal.aborted) {
      io.stderr(`shimkit: ${what}: interrupted (${String(io.signal.reason instanceof Error ? io.signal.reason.message : io.signal.reason)}); nothing was left at the destination\n`);
      return EXIT.failed;
    }
    io.stderr(`shimkit: ${describeFailure(what, e)}\n`);
    return EXIT.failed;
  }
}
