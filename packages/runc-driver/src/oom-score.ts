import { readFile } from 'node:fs/promises';

const CAP_SYS_RESOURCE = 24n;

/** This process's oom_score_adj and whether it may lower it (CAP_SYS_RESOURCE in CapEff). */
export async function oomScoreLimits(): Promise<{ current: number; canLower: boolean }> {
  const [adj, status] = await Promise.all([readFile('/proc/self/oom_score_adj', 'utf8').catch(() => '0'), readFile('/proc/self/status', 'utf8').catch(() => '')]);
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const canLower = capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
  return { current: Number.parseInt(adj.trim(), 10) || 0, canLower };
}

/**
 * Raises a requested oom_score_adj to `current` when this process cannot lower its own: the
 * runtime would otherwise fail to start the process (containerd's restrict_oom_score_adj).
 */
export function clampOomScoreAdj(requested: number | undefined, limits: { current: number; canLower: boolean }): number | undefined {
  if (requested === undefined || limits.canLower) return requested;
  return Math.max(requested, limits.current);
}
