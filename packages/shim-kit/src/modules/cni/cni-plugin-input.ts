import { compareCniVersions, type CniNetworkList, type CniPluginConfig } from './cni-config.js';

/** Options of {@link pluginInput}. */
export interface PluginInputOptions {
  /** The previous plugin's result (ADD) or the cached ADD result (CHECK, DEL). */
  prevResult?: unknown;
  /** Capability arguments; a plugin gets those it declares, under `runtimeConfig`. */
  capabilityArgs: Readonly<Record<string, unknown>>;
}

/**
 * What a plugin of a list reads on stdin: its own configuration with the list's `name` and
 * `cniVersion`, `runtimeConfig` for the capabilities it declares, and `prevResult` (from
 * CNI 0.3.0, which introduced chaining).
 */
export function pluginInput(list: CniNetworkList, plugin: CniPluginConfig, options: PluginInputOptions): Record<string, unknown> & { type: string } {
  const input: Record<string, unknown> & { type: string } = { ...plugin.raw, type: plugin.type, name: list.name, cniVersion: list.cniVersion };
  delete input.prevResult;
  const declared = plugin.capabilities.filter((c) => options.capabilityArgs[c] !== undefined);
  if (declared.length > 0) {
    const existing = typeof plugin.raw.runtimeConfig === 'object' && plugin.raw.runtimeConfig !== null ? plugin.raw.runtimeConfig : {};
    input.runtimeConfig = { ...existing, ...Object.fromEntries(declared.map((c) => [c, options.capabilityArgs[c]])) };
  }
  if (options.prevResult !== undefined && compareCniVersions(list.cniVersion, '0.3.0') >= 0) input.prevResult = options.prevResult;
  return input;
}
