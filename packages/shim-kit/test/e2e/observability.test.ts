import { randomBytes } from 'node:crypto';
import { ContainerState, type CriClient } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StderrLogger } from '../../src/cli/stderr-logger.js';
import { BUSYBOX_CRI_WORKLOADS } from '../../src/conformance/cri/cri-workloads.js';
import { provide } from '../../src/shim/modules.js';
import type { Shim } from '../../src/shim/create-shim.js';
import { Tokens } from '../../src/tokens.js';
import { E2eBed, EMPTY_LEFTOVERS } from './e2e-bed.js';
import { parseSamples, sampleValue, type Sample } from './prometheus-samples.js';
import { TraceCollector, type ReceivedSpan } from './trace-collector.js';

let bed: E2eBed;
let collector: TraceCollector;
let shim: Shim;
let cri: CriClient;
const logLines: string[] = [];

beforeAll(async () => {
  collector = await TraceCollector.start();
  bed = await E2eBed.start();
  const logger = new StderrLogger({ format: 'json', level: 'debug', write: (line) => void logLines.push(line) });
  ({ shim, cri } = await bed.startShim({
    metrics: { address: '127.0.0.1:0' },
    tracing: { endpoint: collector.endpoint, serviceName: 'shimkit-e2e' },
    modules: [provide(Tokens.Logger, logger)],
  }));
}, 120_000);

afterAll(async () => {
  try {
    await cri?.close();
    await shim?.close();
    if (bed) expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  } finally {
    await bed?.destroy();
    await collector?.close();
  }
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`http://${shim.metricsAddress}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parseSamples(await response.text());
}

/** The compressed size of a blob, as the registry serves it. */
async function blobSize(repository: string, digest: string): Promise<number> {
  const response = await fetch(`http://${bed.registry.host}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  return Number(response.headers.get('content-length'));
}

const traceId = randomBytes(16).toString('hex');
const kubeletSpanId = randomBytes(8).toString('hex');
const traced = { metadata: { traceparent: `00-${traceId}-${kubeletSpanId}-01`, 'x-request-id': 'kubelet-run-pod-1' } };

describe('observability of a shim on the default modules (real registry, runc, conmon, CNI)', () => {
  it('counts, traces and logs a pod lifecycle: per-RPC histograms and codes, pulls, runtime and CNI latencies, states, OOM kills', async () => {
    const busybox = bed.images.busybox;
    await cri.image.pullImage({ image: { image: busybox.reference } }, { metadata: { 'x-request-id': 'kubelet-pull-1' } });
    const missing = `${bed.registry.host}/busybox:no-such-tag`;
    await expect(cri.image.pullImage({ image: { image: missing } })).rejects.toMatchObject({ code: 'NotFound' });

    const config = bed.pod('observed');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config }, traced);
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('main') });
    await cri.runtime.startContainer({ containerId });
    const { command, memoryLimitBytes } = BUSYBOX_CRI_WORKLOADS.oom;
    const hog = (await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('hog', { command, linux: { resources: { memoryLimitInBytes: BigInt(memoryLimitBytes) } } }) })).containerId;
    await cri.runtime.startContainer({ containerId: hog });
    await vi.waitFor(async () => expect((await cri.runtime.containerStatus({ containerId: hog })).status?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 20_000 });
    expect((await cri.runtime.containerStatus({ containerId: hog })).status?.reason).toBe('OOMKilled');
    await expect(cri.runtime.containerStatus({ containerId: 'no-such-container' })).rejects.toMatchObject({ code: 'NotFound' });

    // while it runs: one pod ready, one container running and one exited, counted when scraped
    let samples = await scrape();
    expect(sampleValue(samples, 'shimkit_pods', { state: 'ready' })).toBe(1);
    expect(sampleValue(samples, 'shimkit_pods', { state: 'notready' })).toBe(0);
    expect(sampleValue(samples, 'shimkit_containers', { state: 'running' })).toBe(1);
    expect(sampleValue(samples, 'shimkit_containers', { state: 'exited' })).toBe(1);
    expect(sampleValue(samples, 'shimkit_containers', { state: 'created' })).toBe(0);

    await cri.runtime.stopContainer({ containerId, timeout: 0n });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });

    samples = await scrape();
    const calls = (method: string, code = 'OK') => sampleValue(samples, 'shimkit_grpc_requests_total', { method, code });
    const observed = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, `${name}_count`, labels);
    expect(calls('RunPodSandbox')).toBe(1);
    expect(calls('CreateContainer')).toBe(2);
    expect(calls('PullImage')).toBe(1);
    expect(calls('PullImage', 'NotFound')).toBe(1);
    expect(calls('ContainerStatus', 'NotFound')).toBe(1);
    expect(calls('ContainerStatus')).toBeGreaterThanOrEqual(2);
    // every call is in the method's histogram, failed ones too, and the +Inf bucket holds them all
    expect(observed('shimkit_grpc_request_duration_seconds', { method: 'PullImage' })).toBe(2);
    expect(observed('shimkit_grpc_request_duration_seconds', { method: 'RemovePodSandbox' })).toBe(1);
    expect(sampleValue(samples, 'shimkit_grpc_request_duration_seconds_bucket', { method: 'CreateContainer', le: '+Inf' })).toBe(2);
    expect(sampleValue(samples, 'shimkit_grpc_request_duration_seconds_sum', { method: 'RunPodSandbox' })).toBeGreaterThan(0);

    expect(observed('shimkit_image_pull_duration_seconds')).toBe(2);
    expect(sampleValue(samples, 'shimkit_image_pull_failures_total', { code: 'NotFound' })).toBe(1);
    const layerBytes = await Promise.all(busybox.layers.map((digest) => blobSize('busybox', digest)));
    expect(sampleValue(samples, 'shimkit_image_pull_bytes_total')).toBe(layerBytes.reduce((a, b) => a + b, 0));

    expect(observed('shimkit_runtime_operation_duration_seconds', { operation: 'runSandbox' })).toBe(1);
    expect(observed('shimkit_runtime_operation_duration_seconds', { operation: 'createContainer' })).toBe(2);
    expect(observed('shimkit_runtime_operation_duration_seconds', { operation: 'stopContainer' })).toBe(1);
    expect(observed('shimkit_cni_operation_duration_seconds', { operation: 'setup' })).toBe(1);
    expect(observed('shimkit_cni_operation_duration_seconds', { operation: 'teardown' })).toBe(1);
    expect(sampleValue(samples, 'shimkit_containers_oom_total')).toBe(1);
    expect(sampleValue(samples, 'shimkit_pods', { state: 'ready' })).toBe(0);
    expect(sampleValue(samples, 'shimkit_containers', { state: 'exited' })).toBe(0);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // the trace: kubelet's span is the parent of RunPodSandbox's, whose children are the runtime and CNI work
    const named = (name: string) => collector.spans.filter((s) => s.name === name);
    await vi.waitFor(() => expect(named('runtime.v1.RuntimeService/RemovePodSandbox')).toHaveLength(1), { timeout: 15_000 });
    const [run] = named('runtime.v1.RuntimeService/RunPodSandbox');
    expect(run).toMatchObject({ traceId, parentSpanId: kubeletSpanId, kind: 'SPAN_KIND_SERVER', serviceName: 'shimkit-e2e' });
    expect(run?.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'runtime.v1.RuntimeService', 'rpc.method': 'RunPodSandbox', 'rpc.grpc.status_code': 0, 'shimkit.request_id': 'kubelet-run-pod-1' });
    const children = collector.spans.filter((s) => s.parentSpanId === run?.spanId);
    expect(children.map((s) => s.name)).toEqual(expect.arrayContaining(['cni.setup', 'runtime.runSandbox']));
    for (const child of children) expect(child).toMatchObject({ traceId, kind: 'SPAN_KIND_INTERNAL' });
    // and below those, each program the host helper ran: the CNI plugins, runc, conmon
    const childrenOf = (span: ReceivedSpan | undefined) => collector.spans.filter((s) => s.parentSpanId === span?.spanId);
    const setup = children.find((s) => s.name === 'cni.setup');
    expect(childrenOf(setup).map((s) => [s.name, s.attributes['cni.command']])).toEqual(expect.arrayContaining([['exec loopback', 'ADD'], ['exec bridge', 'ADD'], ['exec portmap', 'ADD']]));
    const starts = named('runtime.startContainer');
    expect(starts).toHaveLength(2);
    for (const start of starts) {
      const programs = childrenOf(start);
      expect(programs.find((s) => s.name === 'exec runc')?.attributes['process.command_line']).toMatch(/ start [0-9a-f]{64}$/);
      expect(programs.every((s) => s.traceId === start.traceId)).toBe(true);
    }
    expect(collector.spans.filter((s) => s.name === 'exec conmon').map((s) => collector.spans.find((p) => p.spanId === s.parentSpanId)?.name.split('.')[0])).toEqual(['runtime', 'runtime']);
    // calls without a traceparent start traces of their own
    const [pull, failedPull] = named('runtime.v1.ImageService/PullImage');
    expect(pull?.traceId).not.toBe(traceId);
    expect(pull?.parentSpanId).toBe('');
    expect(collector.spans.filter((s) => s.parentSpanId === pull?.spanId).map((s) => s.name)).toEqual(['image.pull']);
    expect(failedPull).toMatchObject({ status: { code: 'STATUS_CODE_ERROR' }, attributes: { 'rpc.grpc.status_code': 5 } });
    expect(collector.spans.find((s) => s.parentSpanId === failedPull?.spanId)).toMatchObject({ name: 'image.pull', status: { code: 'STATUS_CODE_ERROR' } });
    const [stop] = named('runtime.v1.RuntimeService/StopPodSandbox');
    expect(collector.spans.filter((s) => s.parentSpanId === stop?.spanId).map((s) => s.name)).toContain('cni.teardown');

    // the log: every line of a call carries its request id, kubelet's when it sent one
    const lines = logLines.map((l) => JSON.parse(l) as { time: string; level: string; msg: string; rpc?: string; requestId?: string });
    for (const line of lines) expect(Object.keys(line).slice(0, 3)).toEqual(['time', 'level', 'msg']);
    const ofCall = (rpc: string) => lines.filter((l) => l.rpc === rpc);
    expect(ofCall('RunPodSandbox').length).toBeGreaterThanOrEqual(2);
    for (const line of ofCall('RunPodSandbox')) expect(line.requestId).toBe('kubelet-run-pod-1');
    const pulls = ofCall('PullImage');
    expect(pulls.find((l) => l.msg === 'image pulled')?.requestId).toBe('kubelet-pull-1'); // a line of the image backend's own
    const generated = new Set(ofCall('CreateContainer').map((l) => l.requestId));
    expect(generated.size).toBe(2); // one id per call
    for (const id of generated) expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers only GET and HEAD of /metrics', async () => {
    const base = `http://${shim.metricsAddress}`;
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
