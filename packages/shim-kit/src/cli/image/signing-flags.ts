import { readFile } from 'node:fs/promises';
import type { SignImageOptions } from '@shimkit/image-store';
import { loadSigstorePrivateKey } from '@shimkit/image-store';
import { parseImageReference } from '@shimkit/oci-spec';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import { readPassphraseFile } from './passphrase-file.js';

/** The signing flags `sign` and `copy` share (skopeo's names). */
export interface SigningFlags {
  signBy?: string;
  signBySigstorePrivateKey?: string;
  signPassphraseFile?: string;
  signIdentity?: string;
  gpgHomedir?: string;
}

export function addSigningOptions(command: Command): Command {
  return command
    .option('--sign-by-sigstore-private-key <file>', 'sign with this sigstore private key (from generate-key or cosign generate-key-pair)')
    .option('--sign-passphrase-file <file>', "the private key's passphrase (first line of the file)")
    .option('--sign-by <fingerprint>', 'sign with this GPG key (simple signing, stored in the registries.d lookaside)')
    .option('--gpg-homedir <dir>', 'GnuPG home with the GPG key (default $GNUPGHOME or ~/.gnupg)')
    .option('--sign-identity <reference>', 'the identity the signature claims (default: the reference signed)');
}

export function wantsSigning(flags: SigningFlags): boolean {
  return flags.signBy !== undefined || flags.signBySigstorePrivateKey !== undefined;
}

/** Checks the flags and loads the key (decrypting it): bad flags, files or passphrases fail before any work. */
export async function signingOptions(flags: SigningFlags): Promise<Pick<SignImageOptions, 'sigstoreKey' | 'gpg' | 'identity'>> {
  if (!wantsSigning(flags)) {
    if (flags.signIdentity !== undefined || flags.signPassphraseFile !== undefined) throw new CliUsageError('--sign-identity and --sign-passphrase-file need --sign-by-sigstore-private-key or --sign-by');
    return {};
  }
  const keyFile = flags.signBySigstorePrivateKey;
  if (keyFile !== undefined && flags.signPassphraseFile === undefined) throw new CliUsageError('--sign-by-sigstore-private-key needs --sign-passphrase-file FILE');
  let identity;
  if (flags.signIdentity !== undefined) {
    try {
      identity = parseImageReference(flags.signIdentity, { defaultTag: false });
    } catch (e) {
      throw new CliUsageError(`--sign-identity: ${(e as Error).message}`);
    }
  }
  const sigstoreKey = keyFile === undefined ? undefined : await loadSigstorePrivateKey(
    await readFile(keyFile, 'utf8').catch((e: Error) => {
      throw new CliUsageError(`--sign-by-sigstore-private-key: cannot read ${keyFile}: ${e.message}`);
    }),
    await readPassphraseFile(flags.signPassphraseFile!, '--sign-passphrase-file'),
    { source: keyFile },
  );
  return {
    ...(sigstoreKey ? { sigstoreKey } : {}),
    ...(flags.signBy !== undefined ? { gpg: { signBy: flags.signBy, ...(flags.gpgHomedir ? { homedir: flags.gpgHomedir } : {}) } } : {}),
    ...(identity ? { identity } : {}),
  };
}
