import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageLocation, ImageStore, LocationContext, RegistryClient } from '@shimkit/image-store';
import { copyBetween, copySigstoreSignatures, defaultSignaturePolicy, ImageStore as Store, loadSignaturePolicy, openImageReader, openImageWriter, parseImageLocation, SignaturePolicyEnforcer, signRegistryImage } from '@shimkit/image-store';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import { copyProgressBars } from './copy-progress.js';
import type { ImageCommandIo } from './image-io.js';
import { wantedPlatform, type PlatformFlags } from './platform-flags.js';
import { registriesConfig } from './registries-dir.js';
import { parseBool, REGISTRIES_CONF_OPTION, registryClient } from './registry-flags.js';
import type { SigningFlags } from './signing-flags.js';
import { addSigningOptions, signingOptions, wantsSigning } from './signing-flags.js';

interface CopyFlags extends PlatformFlags, SigningFlags {
  all?: boolean;
  root?: string;
  quiet?: boolean;
  digestfile?: string;
  srcCreds?: string;
  destCreds?: string;
  srcTlsVerify?: boolean;
  destTlsVerify?: boolean;
  authfile?: string;
  registriesConf?: string;
  policy?: string;
  insecurePolicy?: boolean;
  'registries.d'?: string;
  removeSignatures?: boolean;
}

/** Where `shimkit serve --root DIR` keeps its images (the image module's default). */
export function storeRoot(root: string): string {
  return join(root, 'images');
}

function registryHost(location: ImageLocation): string | undefined {
  return location.transport === 'docker' ? location.ref.domain : undefined;
}

/** `shimkit image copy SRC DST` between registries, OCI layouts and archives, docker archives and the store. */
export function copyCommand(parent: Command, io: ImageCommandIo): Command {
  const command = parent
    .command('copy')
    .description('Copy an image between docker://REF, oci:DIR[:NAME], oci-archive:FILE[:NAME], docker-archive:FILE[:REF] and store:REF.')
    .argument('<source>', 'where the image is')
    .argument('<destination>', 'where to write it (nothing appears there unless the copy completes)')
    .option('--all', 'copy every platform of a multi-platform index (default: one platform)')
    .option('--override-arch <arch>', "copy this architecture out of an index instead of the host's")
    .option('--override-os <os>', "copy this OS out of an index instead of the host's")
    .option('--override-variant <variant>', 'copy this architecture variant')
    .option('--root <dir>', 'the root directory of `shimkit serve` whose image store store: locations name')
    .option('-q, --quiet', 'no progress and no summary')
    .option('--digestfile <file>', 'write the digest of the copied image to this file')
    .option('--src-creds <user:password>', 'credentials for the source registry')
    .option('--dest-creds <user:password>', 'credentials for the destination registry')
    .option('--src-tls-verify [bool]', 'verify the source registry TLS certificate; false allows plain HTTP too', parseBool('--src-tls-verify'))
    .option('--dest-tls-verify [bool]', 'verify the destination registry TLS certificate; false allows plain HTTP too', parseBool('--dest-tls-verify'))
    .option('--authfile <path>', 'docker config.json with registry credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)')
    .option(...REGISTRIES_CONF_OPTION)
    .option('--policy <file>', 'a containers-policy.json policy the source image must satisfy, checked before anything is written (default ~/.config/containers/policy.json, else /etc/containers/policy.json, when there)')
    .option('--insecure-policy', 'check no signature policy, not even the default one')
    .option('--registries.d <dir>', 'registries.d directory: lookaside stores and sigstore attachments, for --policy and signing (default ~/.config/containers/registries.d, else /etc/containers/registries.d)')
    .option('--remove-signatures', 'do not copy the sigstore signatures attached to the image (registry to registry)');
  return addSigningOptions(command)
    .action(async (src: string, dst: string, flags: CopyFlags) => {
      const from = parseImageLocation(src);
      const to = parseImageLocation(dst);
      if ((from.transport === 'store' || to.transport === 'store') && flags.root === undefined) throw new CliUsageError('store: locations need --root DIR');
      if (flags.all && flags.overrideArch !== undefined) throw new CliUsageError('--all and --override-arch exclude each other');
      if (wantsSigning(flags) && to.transport !== 'docker') throw new CliUsageError('signing while copying needs a docker:// destination (signatures live in the registry)');
      io.describe(`copy of ${src} to ${dst}`);
      const signing = await signingOptions(flags);
      if (flags.insecurePolicy && flags.policy !== undefined) throw new CliUsageError('--policy and --insecure-policy exclude each other');
      const policyFile = flags.insecurePolicy ? undefined : (flags.policy ?? defaultSignaturePolicy());
      const needsRegistries = policyFile !== undefined || wantsSigning(flags);
      const registries = needsRegistries ? await registriesConfig(flags['registries.d']) : undefined;
      const policy = policyFile === undefined ? undefined : new SignaturePolicyEnforcer({ policy: await loadSignaturePolicy(policyFile), source: policyFile, ...(registries ? { registries } : {}) });

      let client: RegistryClient | undefined;
      const sides = [
        { host: registryHost(from), creds: flags.srcCreds, tlsVerify: flags.srcTlsVerify },
        { host: registryHost(to), creds: flags.destCreds, tlsVerify: flags.destTlsVerify },
      ].flatMap((s) => (s.host === undefined ? [] : [{ ...s, host: s.host }]));
      if (sides.length > 0) client = await registryClient(sides, flags);
      let store: Promise<ImageStore> | undefined;
      const ctx: LocationContext = {
        registry: () => client!,
        // Layer blobs are kept so that an image copied in can be copied out again.
        store: () => (store ??= Store.open({ root: storeRoot(flags.root!), keepLayerBlobs: true, ...(client ? { registry: client } : {}), signal: io.signal })),
        signal: io.signal,
      };
      const bars = io.tty !== undefined && !flags.quiet ? copyProgressBars(io.tty) : undefined;
      try {
        const reader = await openImageReader(from, ctx);
        try {
          const writer = await openImageWriter(to, ctx);
          const result = await copyBetween(reader, writer, {
            all: flags.all === true,
            platform: wantedPlatform(flags),
            signal: io.signal,
            ...(bars ? { onProgress: (p) => bars.onProgress(p) } : {}),
            ...(policy ? { admit: (top, signal) => policy.check(from, top, { ...(client ? { registry: () => client! } : {}), ...(signal ? { signal } : {}) }) } : {}),
          });
          bars?.stop();
          // Registry to registry the digest is kept, so the signatures attached to it still apply.
          const signatures = from.transport === 'docker' && to.transport === 'docker' && !flags.removeSignatures ? await copySigstoreSignatures(client!, result.digest, { from: from.ref, to: to.ref, signal: io.signal }) : 0;
          if (flags.digestfile !== undefined) await writeFile(flags.digestfile, result.digest);
          if (!flags.quiet) {
            const { uploaded, exists, mounted } = result.blobs;
            const signed = signatures > 0 ? `, ${signatures} signature${signatures === 1 ? '' : 's'} copied` : '';
            io.err(`Copied ${src} to ${dst}: ${result.digest} (${uploaded} blobs copied, ${exists} already there, ${mounted} mounted${signed})\n`);
          }
          if (wantsSigning(flags) && to.transport === 'docker') {
            const made = await signRegistryImage(client!, to.ref, { ...signing, ...(registries ? { registries } : {}), signal: io.signal });
            if (!flags.quiet) io.err(`Signed ${dst} (${made.digest}) as ${made.identity}: ${made.written.join(', ')}\n`);
          }
        } finally {
          await reader.close();
        }
      } finally {
        bars?.stop();
        await (await store?.catch(() => undefined))?.close();
        await client?.close();
      }
    });
}
