import { createServer, type AddressInfo } from 'node:net';
import { connect } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { startFakeShim } from '../src/testing.js';
import { currentCall, noopMetrics, ShimError, PrometheusMetrics, provide, Tokens, type Logger, type ShimMetrics } from '../src/index.js';
import { collect, podConfig } from './cri-fixtures.js';



describe('metrics and tracing as modules of a library shim (fake backends)', () => {
  it('counts streaming calls when they end, and caps a long x-request-id', async () => {
    const ids: (string | undefined)[] = [];
    const record = (): void => void ids.push(currentCall()?.requestId);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    await using fake = await startFakeShim({ shim: { metrics: { processMetrics: false } }, modules: [provide(Tokens.Logger, logger)] });
    const metrics = fake.shim.get(Tokens.Metrics);
    expect(metrics).toBeInstanceOf(PrometheusMetrics);
    const cri = await connect(fake.endpoint);
    try {
      await cri.runtime.runPodSandbox({ config: podConfig('streamed') });
      expect((await collect(cri.runtime.streamPodSandboxes({}))).flatMap((c) => c.podSandboxes)).toHaveLength(1);
      ids.length = 0;
      await cri.runtime.version({}, { metadata: { 'x-request-id': 'x'.repeat(500) } });
    } finally {
      await cri.close();
    }
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toBe('x'.repeat(128));
    const text = (await metrics.scrape()).text;
    expect(text).toContain('shimkit_grpc_requests_total{method="StreamPodSandboxes",code="OK"} 1\n');
    expect(text).toContain('shimkit_grpc_request_duration_seconds_count{method="StreamPodSandboxes"} 1\n');
    expect(text).toContain('shimkit_pods{state="ready"} 1\n');
    expect(text).not.toContain('process_resident_memory_bytes');
  });

  it('counts failed runtime and CNI operations by operation, and the CRI call by the code it answered', async () => {
    await using fake = await startFakeShim({ shim: { metrics: { processMetrics: false } } });
    const cri = await connect(fake.endpoint);
    try {
      fake.fakes.network.failNext('setup', 'no IP left');
      await expect(cri.runtime.runPodSandbox({ config: podConfig('first') })).rejects.toMatchObject({ code: 'Internal' });
      fake.fakes.runtime.failNext('runSandbox', new ShimError('Unavailable', 'runc is gone'));
      await expect(cri.runtime.runPodSandbox({ config: podConfig('second') })).rejects.toMatchObject({ code: 'Unavailable' });
      await cri.runtime.runPodSandbox({ config: podConfig('third') });
    } finally {
      await cri.close();
    }
    const text = (await fake.shim.get(Tokens.Metrics).scrape()).text;
    expect(text).toContain('shimkit_cni_operation_errors_total{operation="setup"} 1\n');
    expect(text).toContain('shimkit_runtime_operation_errors_total{operation="runSandbox"} 1\n');
    expect(text).toMatch(/^shimkit_cni_operation_duration_seconds_count\{operation="setup"\} 3$/m);
    expect(text).toContain('shimkit_grpc_requests_total{method="RunPodSandbox",code="Internal"} 1\n');
    expect(text).toContain('shimkit_grpc_requests_total{method="RunPodSandbox",code="Unavailable"} 1\n');
    expect(text).toContain('shimkit_grpc_requests_total{method="RunPodSandbox",code="OK"} 1\n');
  });

  it('lets a module replace the metrics (it is what the shim reports to and what /metrics serves)', async () => {
    const seen: string[] = [];
    const mine: ShimMetrics = { ...noopMetrics, rpcDone: ({ rpc, code }) => void seen.push(`${rpc} ${code}`), scrape: () => Promise.resolve({ contentType: 'text/plain', text: `calls ${seen.length}\n` }) };
    await using fake = await startFakeShim({ shim: { metrics: { address: '127.0.0.1:0' } }, modules: [provide(Tokens.Metrics, mine)] });
    const cri = await connect(fake.endpoint);
    try {
      await cri.runtime.version({});
      await expect(cri.runtime.containerStatus({ containerId: 'gone' })).rejects.toMatchObject({ code: 'NotFound' });
    } finally {
      await cri.close();
    }
    expect(seen).toEqual(['Version OK', 'ContainerStatus NotFound']);
    expect(await (await fetch(`http://${fake.shim.metricsAddress}/metrics`)).text()).toBe('calls 2\n');
  });

  it('keeps serving when the trace collector is down, and closes without waiting for it', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r)); // nothing listens there now
    const fake = await startFakeShim({ shim: { tracing: { endpoint: `127.0.0.1:${port}` } } });
    const cri = await connect(fake.endpoint);
    try {
      expect((await cri.runtime.version({})).runtimeName).toBe('shimkit');
      await cri.runtime.runPodSandbox({ config: podConfig('untraced') });
    } finally {
      await cri.close();
      await fake.close();
    }
  });
});
