import { rm, writeFile } from 'node:fs/promises';
import { generateSigstoreKeyPair } from '@shimkit/image-store';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import type { ImageCommandIo } from './image-io.js';
import { readPassphraseFile } from './passphrase-file.js';

interface GenerateKeyFlags {
  outputPrefix: string;
  passphraseFile?: string;
}

/** `shimkit image generate-key`: a sigstore key pair (PREFIX.key encrypted as cosign does, PREFIX.pub). */
export function generateKeyCommand(parent: Command, io: ImageCommandIo): Command {
  return parent
    .command('generate-key')
    .description('Generate a sigstore signing key pair: PREFIX.key (ECDSA P-256, encrypted as cosign and skopeo read it) and PREFIX.pub.')
    .option('--output-prefix <prefix>', 'write PREFIX.key and PREFIX.pub', 'sigstore')
    .option('--passphrase-file <file>', 'encrypt the private key with the first line of this file')
    .action(async (flags: GenerateKeyFlags) => {
      if (flags.passphraseFile === undefined) throw new CliUsageError('generate-key needs --passphrase-file FILE (the passphrase that encrypts the private key)');
      io.describe(`generate-key ${flags.outputPrefix}`);
      const passphrase = await readPassphraseFile(flags.passphraseFile, '--passphrase-file');
      const pair = await generateSigstoreKeyPair(passphrase);
      const [priv, pub] = [`${flags.outputPrefix}.key`, `${flags.outputPrefix}.pub`];
      // Neither file is overwritten: a key pair in use must not be lost by a repeated command.
      await writeFile(priv, pair.privateKeyPem, { flag: 'wx', mode: 0o600 }).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EEXIST' ? new CliUsageError(`${priv} exists; not overwriting it`) : new Error(`cannot write ${priv}: ${e.message}`);
      });
      try {
        await writeFile(pub, pair.publicKeyPem, { flag: 'wx', mode: 0o644 });
      } catch (e) {
        await rm(priv, { force: true });
        const err = e as NodeJS.ErrnoException;
        throw err.code === 'EEXIST' ? new CliUsageError(`${pub} exists; not overwriting it`) : new Error(`cannot write ${pub}: ${err.message}`);
      }
      io.err(`Key pair written: ${priv} (private, encrypted) and ${pub} (public)\n`);
    });
}
