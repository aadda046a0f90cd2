import type { SignaturePolicy } from '@shimkit/image-store';
import { loadSignaturePolicy, parseImageLocation, parseSignaturePolicy, SignaturePolicyEnforcer } from '@shimkit/image-store';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import type { ImageCommandIo } from './image-io.js';
import { registriesConfig } from './registries-dir.js';
import { parseBool, registryClient } from './registry-flags.js';

interface VerifyFlags {
  policy?: string;
  key?: string;
  keyring?: string;
  identity: string;
  'registries.d'?: string;
  creds?: string;
  tlsVerify?: boolean;
  authfile?: string;
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
  return parent
    .command('verify')
    .description('Verify the signatures of an image in a registry against a containers-policy.json policy, a sigstore public key or a GPG keyring.')
    .argument('<image>', 'docker://REFERENCE')
    .option('--policy <file>', 'a containers-policy.json policy')
    .option('--key <file>', 'accept sigstore signatures by this public key')
    .option('--keyring <file>', 'accept GPG signatures by a key of this keyring')
    .option('--identity <match>', `with --key/--keyring, what identity a signature must claim: ${Object.keys(IDENTITIES).join(', ')}`, 'repo-digest-or-exact')
    .option('--registries.d <dir>', 'registries.d directory: lookaside stores, sigstore attachments (default ~/.config/containers/registries.d, else /etc/containers/registries.d)')
    .option('--creds <user:password>', 'credentials for the registry')
    .option('--tls-verify [bool]', 'verify the registry TLS certificate; false allows plain HTTP too', parseBool('--tls-verify'))
    .option('--authfile <path>', 'docker config.json with registry credentials')
    .action(async (image: string, flags: VerifyFlags) => {
      const location = parseImageLocation(image);
      if (location.transport !== 'docker') throw new CliUsageError(`verify works on docker:// images; ${JSON.stringify(image)} is ${location.transport}:`);
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
      const client = await registryClient([{ host: location.ref.domain, creds: flags.creds, tlsVerify: flags.tlsVerify }], { authfile: flags.authfile });
      try {
        const top = await client.getManifest(location.ref, { signal: io.signal });
        await enforcer.check(location, top, { registry: () => client, signal: io.signal });
        io.out(`Verified ${image}: ${top.descriptor.digest}\n`);
      } finally {
        await client.close();
      }
    });
}
