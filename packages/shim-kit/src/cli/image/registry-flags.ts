import type { ImageLocation, RegistryClientOptions, RegistryCredentials, RegistryHostConfig } from '@shimkit/image-store';
import { isImageStoreError, loadContainersRegistryHosts, loadDockerConfig, parseImageLocation, RegistryClient } from '@shimkit/image-store';
import type { Command } from 'commander';
import { CliUsageError } from './cli-failure.js';

/** The registry flags of one side of a command (`--creds`, `--tls-verify`), for one registry host. */
export interface RegistryFlags {
  host: string;
  creds?: string;
  tlsVerify?: boolean;
}

/** `USER:PASS` (the password may hold colons). */
export function parseCreds(text: string, flag: string): RegistryCredentials {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new CliUsageError(`${flag} must be USER:PASSWORD`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** `--tls-verify`, `--tls-verify=true|false`. */
export function parseBool(flag: string): (text: string) => boolean {
  return (text) => {
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new CliUsageError(`${flag} must be true or false, not ${JSON.stringify(text)}`);
  };
}

/**
 * Without TLS verification a registry is tried over HTTPS without checking
 * its certificate, then over plain HTTP, as skopeo does.
 */
async function insecureHost(host: string, base: RegistryClientOptions, hostConfig: RegistryHostConfig): Promise<RegistryHostConfig> {
  const tls: RegistryHostConfig = { ...hostConfig, plainHttp: false, tls: { insecureSkipVerify: true } };
  const probe = new RegistryClient({ ...base, retry: { attempts: 1 }, hosts: { [host]: tls } });
  try {
    await probe.ping(host);
    return tls;
  } catch (e) {
    // Answered, just not with 200 (e.g. 401): HTTPS works.
    if (isImageStoreError(e) && e.status !== undefined) return tls;
    return { ...hostConfig, plainHttp: true };
  } finally {
    await probe.close();
  }
}

/** Where the registry files of an image command come from (`--registries-conf`, `--authfile`). */
export interface RegistryFileFlags {
  authfile?: string;
  registriesConf?: string;
}

/**
 * A registry client for the command's registries: registries.conf (`--registries-conf`, else
 * the containers tools' default) with /etc/containers/certs.d, each side's `--creds` and
 * `--tls-verify` over them, and docker config.json credentials (`--authfile`, else
 * $DOCKER_CONFIG or ~/.docker) for the rest.
 */
export async function registryClient(sides: readonly RegistryFlags[], options: RegistryFileFlags): Promise<RegistryClient> {
  const base: RegistryClientOptions = { credentials: await loadDockerConfig(options.authfile === undefined ? {} : { path: options.authfile }) };
  const hosts: Record<string, RegistryHostConfig> = await loadContainersRegistryHosts(options.registriesConf === undefined ? {} : { registriesConf: options.registriesConf });
  for (const side of sides) {
    let config: RegistryHostConfig = { ...hosts[side.host] };
    if (side.creds !== undefined) config.credentials = parseCreds(side.creds, '--creds');
    if (side.tlsVerify === false) config = await insecureHost(side.host, base, config);
    hosts[side.host] = config;
  }
  return new RegistryClient({ ...base, hosts });
}

/** The flags of a command on one registry image (sign, verify): `--creds`, `--tls-verify`, `--authfile`, `--registries-conf`. */
export interface OneRegistryFlags extends RegistryFileFlags {
  creds?: string;
  tlsVerify?: boolean;
}

export function addOneRegistryOptions(command: Command): Command {
  return command
    .option('--creds <user:password>', 'credentials for the registry')
    .option('--tls-verify [bool]', 'verify the registry TLS certificate; false allows plain HTTP too', parseBool('--tls-verify'))
    .option('--authfile <path>', 'docker config.json with registry credentials')
    .option(...REGISTRIES_CONF_OPTION);
}

/** `--registries-conf`, as skopeo has it. */
export const REGISTRIES_CONF_OPTION = [
  '--registries-conf <file>',
  'registries.conf (v2) with mirrors, locations, insecure and blocked registries (default $CONTAINERS_REGISTRIES_CONF, else /etc/containers/registries.conf)',
] as const;

/** The `docker://` image argument of `command`; any other transport is a usage error. */
export function dockerImageArgument(image: string, command: string): Extract<ImageLocation, { transport: 'docker' }> {
  const location = parseImageLocation(image);
  if (location.transport !== 'docker') throw new CliUsageError(`${command} works on docker:// images; ${JSON.stringify(image)} is ${location.transport}:`);
  return location;
}

/** A registry client for the registry of `location`, with the command's registry flags. */
export async function oneRegistryClient(location: { ref: { domain: string } }, flags: OneRegistryFlags): Promise<RegistryClient> {
  return registryClient([{ host: location.ref.domain, creds: flags.creds, tlsVerify: flags.tlsVerify }], flags);
}
