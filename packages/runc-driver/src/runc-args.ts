import { constants } from 'node:os';
import { RuncError } from './runc-error.js';
import type { RuncOptions } from './runc-options.js';

/** Global options shared by every runtime invocation (flags that go before the verb). */
export type RuntimeGlobalFlags = Pick<RuncOptions, 'root' | 'logFile' | 'logFormat' | 'systemdCgroup' | 'rootless' | 'criu' | 'debug' | 'extraArgs'>;

/** Builds the global flags (`--root`, `--log`, `--log-format`, ...) in the order runc documents them. */
export function globalArgs(flags: RuntimeGlobalFlags): string[] {
  const args: string[] = [];
  if (flags.debug) args.push('--debug');
  if (flags.logFile !== undefined) args.push('--log', flags.logFile);
  if (flags.logFormat !== undefined) args.push('--log-format', flags.logFormat);
  if (flags.root !== undefined) args.push('--root', flags.root);
  if (flags.criu !== undefined) args.push('--criu', flags.criu);
  if (flags.systemdCgroup) args.push('--systemd-cgroup');
  if (flags.rootless !== undefined) args.push(`--rootless=${String(flags.rootless)}`);
  if (flags.extraArgs) args.push(...flags.extraArgs);
  return args;
}

/** A signal for `kill`: a Node signal name (`'SIGTERM'`), a bare name (`'TERM'`) or a number. */
export type KillSignal = NodeJS.Signals | string | number;

/** Normalises a signal to its number (runc and crun both accept numbers). */
export function signalNumber(signal: KillSignal): number {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal <= 0 || signal > 64) throw new RuncError('INVALID_ARGUMENT', `kill: invalid signal number ${signal}`);
    return signal;
  }
  const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
  const n = (constants.signals as Record<string, number | undefined>)[name];
  if (n === undefined) throw new RuncError('INVALID_ARGUMENT', `kill: unknown signal ${signal}`);
  return n;
}

/** Flag helper: pushes `--flag` when `on`. */
export function flag(args: string[], name: string, on: boolean | undefined): void {
  if (on) args.push(name);
}

/** Flag helper: pushes `--flag value` when `value` is defined. */
export function option(args: string[], name: string, value: string | number | undefined): void {
  if (value !== undefined) args.push(name, String(value));
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** Rejects ids runc would refuse (and anything that could be read as a flag or a path). */
export function checkId(id: string, verb: string): void {
  if (typeof id !== 'string' || !ID.test(id) || id.length > 1024) {
    throw new RuncError('INVALID_ARGUMENT', `${verb}: invalid container id ${JSON.stringify(id)} (letters, digits, '_', '.', '+', '-'; not starting with a symbol)`);
  }
}
