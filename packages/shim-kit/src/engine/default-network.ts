import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@shimkit/image-store';

/** The file the engine's bridge network is written to. */
export const DEFAULT_NETWORK_FILE = '87-shimkit-bridge.conflist';

/** The default bridge network's settings (a bridge of its own, apart from podman's cni-podman0). */
export interface BridgeNetworkSettings {
  name: string;
  bridge: string;
  subnet: string;
  /** Masquerade the containers' traffic leaving the host (default true, as podman). */
  ipMasq: boolean;
}

export const DEFAULT_BRIDGE: BridgeNetworkSettings = { name: 'shimkit', bridge: 'shimkit0', subnet: '10.89.0.0/24', ipMasq: true };

/** The conflist of a bridge network: bridge + host-local IPAM with a default route, portmap for `-p`. */
export function bridgeConflist(settings: BridgeNetworkSettings): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: settings.name,
    plugins: [
      {
        type: 'bridge',
        bridge: settings.bridge,
        isGateway: true,
        ipMasq: settings.ipMasq,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: settings.subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Writes the default bridge network into the engine's CNI dir when the dir holds no network
 * config yet (a config put there by hand is used as it is). Returns the dir.
 */
export async function ensureDefaultNetwork(confDir: string, settings: BridgeNetworkSettings = DEFAULT_BRIDGE): Promise<string> {
  await mkdir(confDir, { recursive: true });
  const present = (await readdir(confDir)).some((n) => /\.(conf|conflist|json)$/.test(n));
  if (!present) await writeFileAtomic(join(confDir, DEFAULT_NETWORK_FILE), `${JSON.stringify(bridgeConflist(settings), null, 2)}\n`);
  return confDir;
}
