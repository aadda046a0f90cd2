import type { ImageStore, RegistryClient } from '@shimkit/image-store';
import { ImageStore as Store, inspectReader, openImageReader, parseImageLocation, platformManifest, readConfigBlob } from '@shimkit/image-store';
import { formatPlatform } from '@shimkit/oci-spec';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';
import { storeRoot } from './copy-command.js';
import type { ImageCommandIo } from './image-io.js';
import { inspectText, inspectView } from './inspect-view.js';
import { wantedPlatform, type PlatformFlags } from './platform-flags.js';
import { parseBool, REGISTRIES_CONF_OPTION, registryClient } from './registry-flags.js';

interface InspectFlags extends PlatformFlags {
  raw?: boolean;
  config?: boolean;
  format: string;
  creds?: string;
  tlsVerify?: boolean;
  authfile?: string;
  registriesConf?: string;
  root?: string;
}

/** `shimkit image inspect LOCATION`: an image's manifest and config, without copying its layers. */
export function inspectCommand(parent: Command, io: ImageCommandIo): Command {
  return parent
    .command('inspect')
    .description('Describe an image without pulling it: digest, platforms, config, layers (docker://, oci:, oci-archive:, docker-archive:, store:).')
    .argument('<image>', 'docker://REFERENCE, or any location copy takes')
    .option('--raw', 'print the manifest (or index) bytes exactly as stored (as the registry serves them)')
    .option('--config', "print the image config blob (of this host's platform, or the overridden one)")
    .option('--format <format>', 'text or json', 'text')
    .option('--creds <user:password>', 'credentials for the registry')
    .option('--tls-verify [bool]', 'verify the registry TLS certificate; false allows plain HTTP too', parseBool('--tls-verify'))
    .option('--authfile <path>', 'docker config.json with registry credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)')
    .option(...REGISTRIES_CONF_OPTION)
    .option('--root <dir>', 'the root directory of `shimkit serve`, for store: locations')
    .option('--override-arch <arch>', "use this architecture instead of the host's to pick from an index")
    .option('--override-os <os>', "use this OS instead of the host's")
    .option('--override-variant <variant>', 'use this architecture variant')
    .action(async (image: string, flags: InspectFlags) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new CliUsageError(`--format must be text or json, not ${JSON.stringify(flags.format)}`);
      const location = parseImageLocation(image);
      if (location.transport === 'store' && flags.root === undefined) throw new CliUsageError('store: locations need --root DIR');
      io.describe(`inspect of ${image}`);
      const client: RegistryClient | undefined = location.transport === 'docker'
        ? await registryClient([{ host: location.ref.domain, creds: flags.creds, tlsVerify: flags.tlsVerify }], flags)
        : undefined;
      let store: Promise<ImageStore> | undefined;
      try {
        const reader = await openImageReader(location, {
          registry: () => client!,
          store: () => (store ??= Store.open({ root: storeRoot(flags.root!), signal: io.signal })),
          signal: io.signal,
        });
        try {
          const platform = wantedPlatform(flags);
          if (flags.raw && !flags.config) {
            io.out((await reader.top(io.signal)).bytes.toString('utf8'));
            return;
          }
          if (flags.config) {
            io.out((await readConfigBlob(reader, await platformManifest(reader, { platform, signal: io.signal }), io.signal)).toString('utf8'));
            return;
          }
          const result = await inspectReader(reader, { signal: io.signal });
          const view = inspectView(result, platform);
          if (view === undefined) throw new Error(`${image} has no image for ${formatPlatform(platform)} (it has ${result.images.flatMap((i) => (i.platform ? [formatPlatform(i.platform)] : [])).join(', ')})`);
          io.out(flags.format === 'json' ? `${JSON.stringify(view, null, 2)}\n` : inspectText(view));
        } finally {
          await reader.close();
        }
      } finally {
        await (await store?.catch(() => undefined))?.close();
        await client?.close();
      }
    });
}
