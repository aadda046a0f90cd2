import { readFile } from 'node:fs/promises';
import { connect, MetricType, type CriClient, type MetricDescriptor, type PodSandboxMetrics } from '@shimkit/cri-types';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNetDev } from '../src/host/net-dev.js';
import type { PodNetworkAttachment, PodNetworkRequest } from '../src/interfaces/pod-network.js';
import { provide } from '../src/shim/modules.js';
import { FakePodNetwork, startFakeShim, type FakeShim } from '../src/testing.js';
import { ShimError } from '../src/errors.js';
import { Tokens } from '../src/tokens.js';
import { collect, containerConfig, findMetric, podConfig } from './cri-fixtures.js';

/** Hands every pod the test process's own network namespace, so the shim has real counters to read. */
class HostNetnsPodNetwork extends FakePodNetwork {
  override async setup(request: PodNetworkRequest): Promise<PodNetworkAttachment> {
    return { ...(await super.setup(request)), netnsPath: `/proc/${process.pid}/ns/net` };
  }
}

describe('CRI metrics (ListMetricDescriptors, ListPodSandboxMetrics, StreamPodSandboxMetrics) on fakes', () => {
  let fake: FakeShim;
  let cri: CriClient;
  afterEach(async () => {
    await cri?.close();
    await fake?.close();
  });

  async function start(options: Parameters<typeof startFakeShim>[0] = {}): Promise<void> {
    fake = await startFakeShim(options);
    cri = await connect(fake.endpoint);
    await cri.image.pullImage({ image: { image: 'busybox' } });
  }

  async function runPod(name: string, containers: string[]): Promise<{ podSandboxId: string; ids: string[] }> {
    const config = podConfig(name, { metadata: { name, namespace: 'team', uid: `uid-${name}`, attempt: 0 } });
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
    const ids: string[] = [];
    for (const c of containers) {
      const { containerId } = await cri.runtime.createContainer({
        podSandboxId,
        sandboxConfig: config,
        config: containerConfig(c, { linux: { resources: { memoryLimitInBytes: 64n << 20n, cpuShares: 512n, cpuPeriod: 100_000n, cpuQuota: 50_000n } } }),
      });
      ids.push(containerId);
    }
    return { podSandboxId, ids };
  }

  /** Every metric must name a descriptor and carry one value per label key, or kubelet drops it. */
  function expectWellFormed(pods: PodSandboxMetrics[], descriptors: MetricDescriptor[]): void {
    const byName = new Map(descriptors.map((d) => [d.name, d]));
    for (const m of pods.flatMap((p) => [...p.metrics, ...p.containerMetrics.flatMap((c) => c.metrics)])) {
      expect(byName.get(m.name)?.labelKeys.length, m.name).toBe(m.labelValues.length);
      expect(m.value, m.name).toBeDefined();
      expect(m.metricType, m.name).toBe(m.name.endsWith('_total') ? MetricType.COUNTER : MetricType.GAUGE);
    }
  }

  it('describes the cAdvisor metrics it produces, with the labels kubelet puts on /metrics/cadvisor', async () => {
    await start();
    const { descriptors } = await cri.runtime.listMetricDescriptors({});
    const names = descriptors.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining([
      'container_cpu_usage_seconds_total', 'container_memory_usage_bytes', 'container_memory_working_set_bytes', 'container_memory_rss',
      'container_memory_failures_total', 'container_spec_memory_limit_bytes', 'container_spec_cpu_shares', 'container_spec_cpu_period',
      'container_spec_cpu_quota', 'container_start_time_seconds', 'container_last_seen',
      'container_network_receive_bytes_total', 'container_network_transmit_bytes_total', 'container_network_receive_packets_total',
      'container_network_transmit_packets_total', 'container_network_receive_errors_total', 'container_network_transmit_errors_total',
      'container_network_receive_packets_dropped_total', 'container_network_transmit_packets_dropped_total',
    ]));
    expect(new Set(names).size).toBe(names.length);
    const keys = (name: string) => descriptors.find((d) => d.name === name)?.labelKeys;
    expect(keys('container_memory_working_set_bytes')).toEqual(['container', 'id', 'image', 'name', 'namespace', 'pod']);
    expect(keys('container_cpu_usage_seconds_total')).toEqual(['container', 'id', 'image', 'name', 'namespace', 'pod', 'cpu']);
    expect(keys('container_memory_failures_total')).toEqual(['container', 'id', 'image', 'name', 'namespace', 'pod', 'failure_type', 'scope']);
    expect(keys('container_network_receive_bytes_total')).toEqual(['container', 'id', 'image', 'name', 'namespace', 'pod', 'interface']);
    expect(descriptors.every((d) => d.help !== '')).toBe(true);
  });

  it('reports running containers of ready pods from the backend usage and the container config, streamed in chunks', async () => {
    await start({ shim: { streamChunkSize: 1 } });
    const a = await runPod('a', ['web', 'idle']);
    const b = await runPod('b', ['job']);
    const c = await runPod('c', []);
    const [web = '', idle = ''] = a.ids;
    const [job = ''] = b.ids;
    await cri.runtime.startContainer({ containerId: web });
    await cri.runtime.startContainer({ containerId: job });
    fake.fakes.runtime.exitContainer(job, { exitCode: 0 });
    await cri.runtime.stopPodSandbox({ podSandboxId: c.podSandboxId });
    fake.fakes.runtime.setStats(web, {
      cpuUsageCoreNanoSeconds: 3_999_999_999n, memoryUsageBytes: 5000n, memoryWorkingSetBytes: 4000n, memoryRssBytes: 3000n, pageFaults: 70n, majorPageFaults: 2n,
    });

    const { descriptors } = await cri.runtime.listMetricDescriptors({});
    const { podMetrics } = await cri.runtime.listPodSandboxMetrics({});
    expectWellFormed(podMetrics, descriptors);
    // c is stopped and runs nothing; b's only container exited; idle never started
    expect(podMetrics.map((p) => p.podSandboxId)).toEqual([a.podSandboxId, b.podSandboxId]);
    expect(podMetrics[1]?.containerMetrics).toEqual([]);
    const [webMetrics] = podMetrics[0]?.containerMetrics ?? [];
    expect(podMetrics[0]?.containerMetrics.map((m) => m.containerId)).toEqual([web]);
    expect(idle).not.toBe('');
    const metrics = webMetrics?.metrics ?? [];
    const status = (await cri.runtime.containerStatus({ containerId: web })).status;
    const labels = ['web', web, 'busybox', expect.stringContaining('web') as unknown as string, 'team', 'a'];
    const value = (name: string, ...extra: string[]) => findMetric(metrics, name, ...extra)?.value?.value;
    expect(findMetric(metrics, 'container_cpu_usage_seconds_total')?.labelValues).toEqual([...labels, 'total']);
    expect(value('container_cpu_usage_seconds_total')).toBe(3n);
    expect(value('container_memory_usage_bytes')).toBe(5000n);
    expect(value('container_memory_working_set_bytes')).toBe(4000n);
    expect(value('container_memory_rss')).toBe(3000n);
    expect(value('container_memory_failures_total', 'pgfault', 'container')).toBe(70n);
    expect(value('container_memory_failures_total', 'pgfault', 'hierarchy')).toBe(70n);
    expect(value('container_memory_failures_total', 'pgmajfault', 'container')).toBe(2n);
    expect(value('container_spec_memory_limit_bytes')).toBe(64n << 20n);
    expect(value('container_spec_cpu_shares')).toBe(512n);
    expect(value('container_spec_cpu_period')).toBe(100_000n);
    expect(value('container_spec_cpu_quota')).toBe(50_000n);
    expect(value('container_start_time_seconds')).toBe((status?.startedAt ?? 0n) / 1_000_000_000n);
    const lastSeen = value('container_last_seen') ?? 0n;
    expect(Number(lastSeen)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
    expect(findMetric(metrics, 'container_memory_usage_bytes')?.timestamp).toBeGreaterThan(0n);
    // the fake network's netns paths are made up: no network metrics
    expect(podMetrics[0]?.metrics).toEqual([]);

    await cri.runtime.updateContainerResources({ containerId: web, linux: { memoryLimitInBytes: 128n << 20n, cpuShares: 256n } });
    const updated = (await cri.runtime.listPodSandboxMetrics({})).podMetrics[0]?.containerMetrics[0]?.metrics ?? [];
    expect(findMetric(updated, 'container_spec_memory_limit_bytes')?.value?.value).toBe(128n << 20n);
    expect(findMetric(updated, 'container_spec_cpu_quota')).toBeUndefined();

    const chunks = await collect(cri.runtime.streamPodSandboxMetrics({}));
    expect(chunks.map((m) => m.podSandboxMetrics.map((p) => p.podSandboxId))).toEqual([[a.podSandboxId], [b.podSandboxId]]);
  });

  it('leaves out a container whose usage fails instead of failing the scrape', async () => {
    await start();
    const { ids } = await runPod('flaky', ['one', 'two']);
    for (const containerId of ids) await cri.runtime.startContainer({ containerId });
    fake.fakes.runtime.failNext('stats', new ShimError('Internal', 'cgroup gone'));
    const first = (await cri.runtime.listPodSandboxMetrics({})).podMetrics[0]?.containerMetrics ?? [];
    expect(first).toHaveLength(1);
    fake.fakes.runtime.failNext('stats', new ShimError('NotFound', 'raced with removal'));
    expect((await cri.runtime.listPodSandboxMetrics({})).podMetrics[0]?.containerMetrics).toHaveLength(1);
    expect((await cri.runtime.listPodSandboxMetrics({})).podMetrics[0]?.containerMetrics).toHaveLength(2);
  });

  it('reads the network counters of the pod namespace through a process in it, per interface', async () => {
    await start({ modules: [provide(Tokens.PodNetwork, new HostNetnsPodNetwork())] });
    const { podSandboxId } = await runPod('net', []);
    const before = parseNetDev(await readFile('/proc/self/net/dev', 'utf8'));
    const { descriptors } = await cri.runtime.listMetricDescriptors({});
    const { podMetrics } = await cri.runtime.listPodSandboxMetrics({});
    expectWellFormed(podMetrics, descriptors);
    const metrics = podMetrics.find((p) => p.podSandboxId === podSandboxId)?.metrics ?? [];
    const after = new Map(parseNetDev(await readFile('/proc/self/net/dev', 'utf8')).map((i) => [i.name, i]));
    const interfaces = new Set(metrics.map((m) => m.labelValues[6]));
    expect(interfaces.has('lo')).toBe(false);
    // other tests on this host add and remove bridges meanwhile: check the interfaces there before and after
    const steady = before.filter((i) => !i.name.startsWith('lo') && !i.name.startsWith('veth') && after.has(i.name));
    expect(steady.length).toBeGreaterThan(0);
    for (const i of steady) {
      expect(interfaces.has(i.name), i.name).toBe(true);
      const rx = findMetric(metrics, 'container_network_receive_bytes_total', i.name)?.value?.value ?? -1n;
      expect(rx).toBeGreaterThanOrEqual(i.rxBytes);
      expect(rx).toBeLessThanOrEqual(after.get(i.name)?.rxBytes ?? -1n);
      const tx = findMetric(metrics, 'container_network_transmit_packets_total', i.name)?.value?.value ?? -1n;
      expect(tx).toBeGreaterThanOrEqual(i.txPackets);
      expect(tx).toBeLessThanOrEqual(after.get(i.name)?.txPackets ?? -1n);
    }
    expect(metrics[0]?.labelValues.slice(0, 6)).toEqual(['', podSandboxId, '', expect.stringContaining('net'), 'team', 'net']);
    expect(metrics).toHaveLength(interfaces.size * 8);

    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect((await cri.runtime.listPodSandboxMetrics({})).podMetrics).toEqual([]);
  });
});
