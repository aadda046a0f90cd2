import { CniError } from './cni-error.js';
import { findPlugin } from './find-plugin.js';
import type { HostHelper } from '@shimkit/host-helper';
import { runCommand } from './run-command.js';

/** A CNI command. */
export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

/** The per-container parameters of a plugin call (its `CNI_*` environment). */
export interface CniInvocation {
  containerId: string;
  /** Network namespace path; empty when it no longer exists. */
  netns: string;
  ifName: string;
  /** `CNI_ARGS`: `KEY=VALUE` pairs joined with `;`. */
  args: string;
  /** Bin dirs, passed as `CNI_PATH` and searched for the plugin. */
  binDirs: readonly string[];
}

/** Options of {@link execPlugin}. */
export interface ExecPluginOptions {
  signal?: AbortSignal;
  /** SIGKILL the plugin after this long. */
  timeoutMs?: number;
  /** Forks the plugin (see {@link runCommand}). */
  helper: HostHelper;
}

/**
 * Executes a CNI plugin per the spec's execution protocol: the `CNI_*` environment on top of
 * this process's, the configuration on stdin, a result (or nothing) on stdout. A non-zero
 * exit becomes a `PluginFailed` {@link CniError} carrying the plugin's error JSON.
 * Returns the parsed stdout, or undefined when it is empty.
 */
export async function execPlugin(
  command: CniCommand,
  config: Readonly<Record<string, unknown>> & { type: string },
  invocation: CniInvocation & ExecPluginOptions,
): Promise<unknown> {
  const plugin = config.type;
  const binary = await findPlugin(plugin, invocation.binDirs);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: invocation.containerId,
    CNI_NETNS: invocation.netns,
    CNI_IFNAME: invocation.ifName,
    CNI_ARGS: invocation.args,
    CNI_PATH: invocation.binDirs.join(':'),
  };
  let res;
  try {
    res = await runCommand(binary, [], {
      input: JSON.stringify(config),
      env,
      ...(invocation.signal === undefined ? {} : { signal: invocation.signal }),
      ...(invocation.timeoutMs === undefined ? {} : { timeoutMs: invocation.timeoutMs }),
      helper: invocation.helper,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new CniError('PluginFailed', `CNI plugin "${plugin}" could not be started for ${command}: ${(e as Error).message}`, { cause: e, plugin, command });
  }
  const network = typeof config.name === 'string' ? ` (network "${config.name}")` : '';
  if (res.code !== 0) throw pluginError(plugin, command, network, res);
  const text = res.stdout.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CniError('InvalidResult', `CNI plugin "${plugin}" ${command}${network} printed a result that is not JSON: ${text.slice(0, 200)}`, {
      cause: e,
      plugin,
      command,
    });
  }
}

function pluginError(plugin: string, command: CniCommand, network: string, res: { code: number | null; signal: string | null; stdout: string; stderr: string }): CniError {
  let parsed: { code?: unknown; msg?: unknown; details?: unknown } | undefined;
  try {
    const v = JSON.parse(res.stdout) as unknown;
    if (typeof v === 'object' && v !== null) parsed = v as typeof parsed;
  } catch {
    // not an error JSON: fall back to stderr
  }
  const cniCode = typeof parsed?.code === 'number' ? parsed.code : undefined;
  const msg = typeof parsed?.msg === 'string' && parsed.msg !== '' ? parsed.msg : undefined;
  const details = typeof parsed?.details === 'string' && parsed.details !== '' ? parsed.details : undefined;
  const fallback = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-3).join(' / ').slice(0, 500);
  const status = res.code === null ? `killed by ${res.signal ?? 'a signal'} (timeout or abort)` : `exit code ${res.code}`;
  const text = msg === undefined ? fallback || status : details === undefined ? msg : `${msg}: ${details}`;
  const codeText = cniCode === undefined ? '' : ` (CNI error code ${cniCode})`;
  return new CniError('PluginFailed', `CNI plugin "${plugin}" failed to ${command}${network}${codeText}: ${text}`, {
    plugin,
    command,
    ...(cniCode === undefined ? {} : { cniCode }),
    ...(details === undefined ? {} : { cniDetails: details }),
  });
}
