import type { SignaturePolicy } from '@shimkit/image-store';
import { loadSignaturePolicy, parseSignaturePolicy, SignaturePolicyEnforcer } from '@shimkit/image-store';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import type { ImageCommandIo } from './image-io.js';
import { registriesConfig } from './registries-dir.js';
import type { OneRegistryFlags } from './registry-flags.js';
import { addOneRegistryOptions, dockerImageArgument, oneRegistryClient } from './registry-flags.js';

interface VerifyFlags extends OneRegistryFlags {
  policy?: string;
  key?: string;
  keyring?: string;
  identity: string;
  'registries.d'?: string;
}

const IDENTITIES = { exact: 'matchExact', 'repo-digest-or-exact': 'matchRepoDigestOrExact', repository: 'matchRepository' } as const;

/** A one-requirement policy for `--key` / `--keyring`. */
function keyPolicy(flags: VerifyFlags): SignaturePolicy {
  const signedIdentity = { type: IDENTITIES[flags.identity as keyof typeof IDENTITIES] };
  const requirement = flags.key !== undefined ? { type: 'sigstoreSigned', keyPath: flags.key, signedIdentity } : { type: 'signedBy', keyType: 'GPGKeys', keyPath: flags.keyring, signedIdentity };
  return parseSignaturePolicy({ default: [requirement] }, flags.key !== undefined ? '--key' : '--keyring');
}

/** `shimkit image verify docker://REF`: checks an image's signatures against a policy or one key; exit 1 with the reason when refused. */
export function verifyCommand(parent: Command, io: ImageCommandIo): Command {
  const command = parent
    .command('verify')
    .description('Verify the signatures of an image in a registry against a containers-policy.json policy, a sigstore public key or a GPG keyring.')
    .argument('<image>', 'docker://REFERENCE')
    .option('--policy <file>', 'a containers-policy.json policy')
    .option('--key <file>', 'accept sigstore signatures by this public key')
    .option('--keyring <file>', 'accept GPG signatures by a key of this keyring')
    .option('--identity <match>', `with --key/--keyring, what identity a signature must claim: ${Object.keys(IDENTITIES).join(', ')}`, 'repo-digest-or-exact')
    .option('--registries.d <dir>', 'registries.d directory: lookaside stores, sigstore attachments (default ~/.config/containers/registries.d, else /etc/containers/registries.d)');
  return addOneRegistryOptions(command).action(async (image: string, flags: VerifyFlags) => {
    const location = dockerImageArgument(image, 'verify');
    const given = [flags.policy, flags.key, flags.keyring].filter((v) => v !== undefined).length;
    if (given !== 1) throw new CliUsageError('verify needs exactly one of --policy FILE, --key FILE and --keyring FILE');
    if (!(flags.identity in IDENTITIES)) throw new CliUsageError(`--identity must be one of ${Object.keys(IDENTITIES).join(', ')}, not ${JSON.stringify(flags.identity)}`);
    io.describe(`verify of ${image}`);
    const registries = await registriesConfig(flags['registries.d']);
    const enforcer = new SignaturePolicyEnforcer(
      flags.policy !== undefined
        ? { policy: await loadSignaturePolicy(flags.policy), source: flags.policy, registries }
        : { policy: keyPolicy(flags), source: flags.key !== undefined ? `--key ${flags.key}` : `--keyring ${flags.keyring}`, registries },
    );
    const client = await oneRegistryClient(location, flags);
    try {
      const top = await client.getManifest(location.ref, { signal: io.signal });
      await enforcer.check(location, top, { registry: () => client, signal: io.signal });
      io.out(`Verified ${image}: ${top.descriptor.digest}\n`);
    } finally {
      await client.close();
    }
  });
}
