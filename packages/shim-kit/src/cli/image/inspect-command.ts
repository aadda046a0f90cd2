import { inspectImage, parseImageLocation } from '@shimkit/image-store';
import { formatImageReference, formatPlatform } from '@shimkit/oci-spec';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import { inspectText, inspectView } from './inspect-view.js';
import type { ImageCommandIo } from './image-io.js';
import { wantedPlatform, type PlatformFlags } from './platform-flags.js';
import { parseBool, registryClient } from './registry-flags.js';

interface InspectFlags extends PlatformFlags {
  raw?: boolean;
  config?: boolean;
  format: string;
  creds?: string;
  tlsVerify?: boolean;
  authfile?: string;
}

/** `shimkit image inspect docker://REF`: a remote image's manifest and config, without pulling layers. */
export function inspectCommand(parent: Command, io: ImageCommandIo): Command {
  return parent
    .command('inspect')
    .description('Describe an image in a registry without pulling it: digest, platforms, config, layers.')
    .argument('<image>', 'docker://REFERENCE')
    .option('--raw', 'print the manifest (or index) bytes exactly as the registry serves them')
    .option('--config', "print the image config blob (of this host's platform, or the overridden one)")
    .option('--format <format>', 'text or json', 'text')
    .option('--creds <user:password>', 'credentials for the registry')
    .option('--tls-verify [bool]', 'verify the registry TLS certificate; false allows plain HTTP too', parseBool('--tls-verify'))
    .option('--authfile <path>', 'docker config.json with registry credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)')
    .option('--override-arch <arch>', "use this architecture instead of the host's to pick from an index")
    .option('--override-os <os>', "use this OS instead of the host's")
    .option('--override-variant <variant>', 'use this architecture variant')
    .action(async (image: string, flags: InspectFlags) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new CliUsageError(`--format must be text or json, not ${JSON.stringify(flags.format)}`);
      const location = parseImageLocation(image);
      if (location.transport !== 'docker') throw new CliUsageError(`inspect reads registries only (docker://REFERENCE), not ${JSON.stringify(image)}`);
      io.describe(`inspect of ${image}`);
      const ref = location.ref;
      const client = await registryClient([{ host: ref.domain, creds: flags.creds, tlsVerify: flags.tlsVerify }], { authfile: flags.authfile });
      try {
        const platform = wantedPlatform(flags);
        if (flags.raw && !flags.config) {
          io.out((await client.getManifest(ref, { signal: io.signal })).bytes.toString('utf8'));
          return;
        }
        if (flags.config) {
          const resolved = await client.resolve(ref, { platform, signal: io.signal });
          const config = resolved.manifest.document.manifest.config;
          io.out((await client.getBlob(ref, config, { signal: io.signal })).toString('utf8'));
          return;
        }
        const result = await inspectImage(client, ref, { signal: io.signal });
        const view = inspectView(result, platform);
        if (view === undefined) throw new Error(`${formatImageReference(ref)} has no image for ${formatPlatform(platform)} (it has ${result.images.flatMap((i) => (i.platform ? [formatPlatform(i.platform)] : [])).join(', ')})`);
        io.out(flags.format === 'json' ? `${JSON.stringify(view, null, 2)}\n` : inspectText(view));
      } finally {
        await client.close();
      }
    });
}
