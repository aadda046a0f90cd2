import { describe, expect, it } from 'vitest';
import { usageFromStats } from './cgroup-stats.js';

const at = new Date(0);

describe('usageFromStats', () => {
  it('maps cgroup v1 stats: working set = usage - total_inactive_file, hierarchical counters', () => {
    const u = usageFromStats(
      {
        cpu: { usage: { total: 5_000_000 } },
        memory: { usage: { usage: 10_000, limit: 9_223_372_036_854_771_712 }, raw: { total_inactive_file: 4_000, total_rss: 3_000, rss: 1, total_pgfault: 42, total_pgmajfault: 2 } },
      },
      at,
    );
    expect(u).toEqual({ timestamp: at, cpuUsageCoreNanoSeconds: 5_000_000n, memoryUsageBytes: 10_000n, memoryWorkingSetBytes: 6_000n, memoryRssBytes: 3_000n, pageFaults: 42n, majorPageFaults: 2n });
  });

  it('maps cgroup v2 stats and reports available memory under a limit', () => {
    const u = usageFromStats({ memory: { usage: { usage: 10_000, limit: 20_000 }, raw: { anon: 7_000, inactive_file: 1_000, pgfault: 9, pgmajfault: 0 } } }, at);
    expect(u).toMatchObject({ memoryWorkingSetBytes: 9_000n, memoryRssBytes: 7_000n, memoryAvailableBytes: 11_000n, pageFaults: 9n, majorPageFaults: 0n });
  });

  it('leaves unknown fields out', () => {
    expect(usageFromStats({}, at)).toEqual({ timestamp: at });
  });
});
