import { MetricType, type CriClient, type Metric } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { parseNetDev } from '../../src/host/net-dev.js';
import { removePodsAfterEach, useE2eShim, type E2eBed } from './e2e-bed.js';
import { findMetric } from '../cri-fixtures.js';

let bed: E2eBed;
let cri: CriClient;
const podIds: string[] = [];
useE2eShim((world) => ({ bed, cri } = world));
removePodsAfterEach(podIds, () => cri);

const exec = async (containerId: string, cmd: string[]): Promise<string> => Buffer.from((await cri.runtime.execSync({ containerId, cmd, timeout: 10n })).stdout).toString('utf8');
const eth0 = async (containerId: string) => parseNetDev(await exec(containerId, ['cat', '/proc/net/dev'])).find((i) => i.name === 'eth0');
const value = (metrics: Metric[], name: string, ...extra: string[]): bigint | undefined => findMetric(metrics, name, ...extra)?.value?.value;

describe('CRI metrics on the default modules (real runc, conmon, CNI)', () => {
  it('reports container usage from the cgroup and pod network counters from the pod netns', async () => {
    const pods: { podSandboxId: string; containerId: string; ip: string }[] = [];
    for (const name of ['pinger', 'target']) {
      const config = bed.pod(name);
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
      podIds.push(podSandboxId);
      const container = bed.container('main', { linux: { resources: { memoryLimitInBytes: 64n << 20n, cpuShares: 256n } } });
      const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: container });
      await cri.runtime.startContainer({ containerId });
      const ip = (await cri.runtime.podSandboxStatus({ podSandboxId })).status?.network?.ip ?? '';
      pods.push({ podSandboxId, containerId, ip });
    }
    const [pinger, target] = pods;
    if (pinger === undefined || target === undefined) throw new Error('pods did not start');
    await cri.runtime.execSync({ containerId: pinger.containerId, cmd: ['ping', '-c', '3', '-W', '2', target.ip], timeout: 15n });
    const before = await eth0(pinger.containerId);

    const { descriptors } = await cri.runtime.listMetricDescriptors({});
    const { podMetrics } = await cri.runtime.listPodSandboxMetrics({});
    const after = await eth0(pinger.containerId);
    const keys = new Map(descriptors.map((d) => [d.name, d.labelKeys.length]));
    for (const m of podMetrics.flatMap((p) => [...p.metrics, ...p.containerMetrics.flatMap((c) => c.metrics)])) {
      expect(keys.get(m.name), m.name).toBe(m.labelValues.length);
    }
    const ofPod = (id: string) => podMetrics.find((p) => p.podSandboxId === id);

    const network = ofPod(pinger.podSandboxId)?.metrics ?? [];
    expect([...new Set(network.map((m) => m.labelValues[6]))]).toEqual(['eth0']);
    const tx = value(network, 'container_network_transmit_packets_total', 'eth0') ?? -1n;
    expect(tx).toBeGreaterThanOrEqual(3n);
    expect(tx).toBeGreaterThanOrEqual(before?.txPackets ?? 0n);
    expect(tx).toBeLessThanOrEqual(after?.txPackets ?? 0n);
    expect(value(network, 'container_network_receive_bytes_total', 'eth0')).toBeGreaterThanOrEqual(before?.rxBytes ?? 0n);
    expect(value(ofPod(target.podSandboxId)?.metrics ?? [], 'container_network_receive_packets_total', 'eth0')).toBeGreaterThanOrEqual(3n);
    expect(network.every((m) => m.metricType === MetricType.COUNTER && m.labelValues[1] === pinger.podSandboxId && m.labelValues[5] === 'pinger')).toBe(true);

    const [container] = ofPod(pinger.podSandboxId)?.containerMetrics ?? [];
    expect(container?.containerId).toBe(pinger.containerId);
    const metrics = container?.metrics ?? [];
    expect(metrics.find((m) => m.name === 'container_memory_working_set_bytes')?.labelValues).toEqual(
      ['main', pinger.containerId, bed.images.busybox.reference, expect.stringContaining('main'), 'e2e', 'pinger'],
    );
    expect(value(metrics, 'container_memory_working_set_bytes') ?? 0n).toBeGreaterThan(0n);
    expect(value(metrics, 'container_memory_usage_bytes') ?? 0n).toBeGreaterThanOrEqual(value(metrics, 'container_memory_working_set_bytes') ?? 0n);
    expect(value(metrics, 'container_cpu_usage_seconds_total', 'total')).toBeDefined();
    expect(value(metrics, 'container_memory_failures_total', 'pgfault', 'container') ?? 0n).toBeGreaterThan(0n);
    expect(value(metrics, 'container_spec_memory_limit_bytes')).toBe(64n << 20n);
    expect(value(metrics, 'container_spec_cpu_shares')).toBe(256n);

    await cri.runtime.stopContainer({ containerId: target.containerId, timeout: 0n });
    const later = (await cri.runtime.listPodSandboxMetrics({})).podMetrics;
    expect(later.find((p) => p.podSandboxId === target.podSandboxId)).toMatchObject({ metrics: [], containerMetrics: [] });
  });
});
