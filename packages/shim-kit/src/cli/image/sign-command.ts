import { readFile } from 'node:fs/promises';
import type { RegistriesDirConfig } from '@shimkit/image-store';
import { loadRegistriesDir, loadSigstorePrivateKey, parseImageLocation, signRegistryImage } from '@shimkit/image-store';
import { parseImageReference } from '@shimkit/oci-spec';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import type { ImageCommandIo } from './image-io.js';
import { readPassphraseFile } from './passphrase-file.js';
import { parseBool, registryClient } from './registry-flags.js';

interface SignFlags {
  signBy?: string;
  signBySigstorePrivateKey?: string;
  signPassphraseFile?: string;
  signIdentity?: string;
  'registries.d'?: string;
  gpgHomedir?: string;
  creds?: string;
  tlsVerify?: boolean;
  authfile?: string;
}

/** `shimkit image sign docker://REF`: signs the image in the registry with a sigstore key and/or gpg. */
export function signCommand(parent: Command, io: ImageCommandIo): Command {
  return parent
    .command('sign')
    .description('Sign an image in a registry: a sigstore signature attached beside it (sha256-<digest>.sig), and/or a GPG signature in the lookaside store registries.d names.')
    .argument('<image>', 'docker://REFERENCE')
    .option('--sign-by-sigstore-private-key <file>', 'sign with this sigstore private key (from generate-key or cosign generate-key-pair)')
    .option('--sign-passphrase-file <file>', "the private key's passphrase (first line of the file)")
    .option('--sign-by <fingerprint>', 'sign with this GPG key (simple signing)')
    .option('--gpg-homedir <dir>', 'GnuPG home with the GPG key (default $GNUPGHOME or ~/.gnupg)')
    .option('--sign-identity <reference>', 'the identity the signature claims (default: the reference signed)')
    .option('--registries.d <dir>', 'registries.d directory: where GPG signatures go (lookaside-staging), whether sigstore attachments are used')
    .option('--creds <user:password>', 'credentials for the registry')
    .option('--tls-verify [bool]', 'verify the registry TLS certificate; false allows plain HTTP too', parseBool('--tls-verify'))
    .option('--authfile <path>', 'docker config.json with registry credentials')
    .action(async (image: string, flags: SignFlags) => {
      const location = parseImageLocation(image);
      if (location.transport !== 'docker') throw new CliUsageError(`sign works on docker:// images; ${JSON.stringify(image)} is ${location.transport}:`);
      if (flags.signBy === undefined && flags.signBySigstorePrivateKey === undefined) throw new CliUsageError('sign needs --sign-by-sigstore-private-key FILE or --sign-by FINGERPRINT');
      if (flags.signBySigstorePrivateKey !== undefined && flags.signPassphraseFile === undefined) throw new CliUsageError('--sign-by-sigstore-private-key needs --sign-passphrase-file FILE');
      const identity = flags.signIdentity === undefined ? undefined : (() => {
        try {
          return parseImageReference(flags.signIdentity, { defaultTag: false });
        } catch (e) {
          throw new CliUsageError(`--sign-identity: ${(e as Error).message}`);
        }
      })();
      io.describe(`sign of ${image}`);
      const registries: RegistriesDirConfig | undefined = flags['registries.d'] === undefined ? undefined : await loadRegistriesDir(flags['registries.d']);
      const keyFile = flags.signBySigstorePrivateKey;
      const sigstoreKey = keyFile === undefined ? undefined : await loadSigstorePrivateKey(
        await readFile(keyFile, 'utf8').catch((e: Error) => {
          throw new CliUsageError(`--sign-by-sigstore-private-key: cannot read ${keyFile}: ${e.message}`);
        }),
        await readPassphraseFile(flags.signPassphraseFile!, '--sign-passphrase-file'),
        keyFile,
      );
      const client = await registryClient([{ host: location.ref.domain, creds: flags.creds, tlsVerify: flags.tlsVerify }], { authfile: flags.authfile });
      try {
        const result = await signRegistryImage(client, location.ref, {
          ...(sigstoreKey ? { sigstoreKey } : {}),
          ...(flags.signBy !== undefined ? { gpg: { signBy: flags.signBy, ...(flags.gpgHomedir ? { homedir: flags.gpgHomedir } : {}) } } : {}),
          ...(identity ? { identity } : {}),
          ...(registries ? { registries } : {}),
          signal: io.signal,
        });
        io.err(`Signed ${image} (${result.digest}) as ${result.identity}: ${result.written.join(', ')}\n`);
      } finally {
        await client.close();
      }
    });
}
