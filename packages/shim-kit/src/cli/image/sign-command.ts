import { signRegistryImage } from '@shimkit/image-store';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import type { ImageCommandIo } from './image-io.js';
import { registriesConfig } from './registries-dir.js';
import type { OneRegistryFlags } from './registry-flags.js';
import { addOneRegistryOptions, dockerImageArgument, oneRegistryClient } from './registry-flags.js';
import type { SigningFlags } from './signing-flags.js';
import { addSigningOptions, signingOptions, wantsSigning } from './signing-flags.js';

interface SignFlags extends SigningFlags, OneRegistryFlags {
  'registries.d'?: string;
}

/** `shimkit image sign docker://REF`: signs the image in the registry with a sigstore key and/or gpg. */
export function signCommand(parent: Command, io: ImageCommandIo): Command {
  const command = parent
    .command('sign')
    .description('Sign an image in a registry: a sigstore signature attached beside it (sha256-<digest>.sig), and/or a GPG signature in the lookaside store registries.d names.')
    .argument('<image>', 'docker://REFERENCE');
  addSigningOptions(command).option(
    '--registries.d <dir>',
    'registries.d directory: where GPG signatures go (lookaside-staging), whether sigstore attachments are used (default ~/.config/containers/registries.d, else /etc/containers/registries.d)',
  );
  return addOneRegistryOptions(command).action(async (image: string, flags: SignFlags) => {
    const location = dockerImageArgument(image, 'sign');
    if (!wantsSigning(flags)) throw new CliUsageError('sign needs --sign-by-sigstore-private-key FILE or --sign-by FINGERPRINT');
    io.describe(`sign of ${image}`);
    const signing = await signingOptions(flags);
    const registries = await registriesConfig(flags['registries.d']);
    const client = await oneRegistryClient(location, flags);
    try {
      const result = await signRegistryImage(client, location.ref, { ...signing, registries, signal: io.signal });
      io.err(`Signed ${image} (${result.digest}) as ${result.identity}: ${result.written.join(', ')}\n`);
    } finally {
      await client.close();
    }
  });
}
