import { readFileSync } from 'node:fs';
import { capabilitiesOfMask } from './host-capabilities.js';

/** The oom_score_adj of this process (0 if unreadable). */
export function ownOomScoreAdj(): number {
  try {
    const value = Number.parseInt(readFileSync('/proc/self/oom_score_adj', 'utf8').trim(), 10);
    return Number.isInteger(value) ? value : 0;
  } catch {
    return 0;
  }
}

/** Whether this process has CAP_SYS_RESOURCE in its effective set (needed to lower an oom_score_adj). */
export function hasCapSysResource(): boolean {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'));
    return line !== undefined && capabilitiesOfMask(line.slice('CapEff:'.length)).includes('CAP_SYS_RESOURCE');
  } catch {
    return false;
  }
}

/**
 * The oom_score_adj to ask the runtime for. Without CAP_SYS_RESOURCE no process may go
 * below its own value, and runc fails the container if asked to, so a restricted shim
 * clamps to its own (containerd's restrict_oom_score_adj).
 */
export function effectiveOomScoreAdj(requested: number, options: { restrict: boolean; floor: number }): number {
  const clamped = Math.max(-1000, Math.min(1000, requested));
  return options.restrict && clamped < options.floor ? options.floor : clamped;
}
