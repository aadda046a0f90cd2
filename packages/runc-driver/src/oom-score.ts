import { readFileSync } from 'node:fs';

const CAP_SYS_RESOURCE = 24n;

/** This process's oom_score_adj, and whether it may go below it (CAP_SYS_RESOURCE in CapEff). */
export interface OomScoreLimits {
  current: number;
  canLower: boolean;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Reads this process's {@link OomScoreLimits} (two small /proc files, read synchronously). */
export function oomScoreLimits(): OomScoreLimits {
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(read('/proc/self/status'))?.[1];
  const canLower = capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
  return { current: Number.parseInt(read('/proc/self/oom_score_adj').trim(), 10) || 0, canLower };
}

/**
 * The oom_score_adj to ask a runtime for: within -1000..1000, and raised to `current` when this
 * process cannot go below its own (the runtime would fail the process otherwise: containerd's
 * restrict_oom_score_adj).
 */
export function clampOomScoreAdj<T extends number | undefined>(requested: T, limits: OomScoreLimits): T {
  if (requested === undefined) return requested;
  const inRange = Math.max(-1000, Math.min(1000, requested));
  return (limits.canLower ? inRange : Math.max(inRange, limits.current)) as T;
}
