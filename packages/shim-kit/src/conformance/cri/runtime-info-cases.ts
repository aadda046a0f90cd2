import { expect } from 'vitest';
import { criCase, type CriSuite } from './cri-suite-context.js';

/** Version and Status: what kubelet asks first. */
export function runtimeInfoCases(suite: CriSuite): void {
  criCase(suite, 'version', 'Version names the runtime, its version and CRI v1', async () => {
    const v = await suite.cri().runtime.version({ version: 'v1' });
    expect(v.runtimeName).not.toBe('');
    expect(v.runtimeVersion).not.toBe('');
    expect(v.runtimeApiVersion).toMatch(/^v1/);
  });

  criCase(suite, 'status', 'Status reports the RuntimeReady and NetworkReady conditions as true, and lists the run\'s handler', async () => {
    const { status, runtimeHandlers } = await suite.cri().runtime.status({ verbose: false });
    const condition = (type: string): boolean | undefined => status?.conditions.find((c) => c.type === type)?.status;
    expect(condition('RuntimeReady'), 'RuntimeReady').toBe(true);
    if (suite.options.hostNetwork !== true) expect(condition('NetworkReady'), 'NetworkReady').toBe(true);
    // a runtime that lists its handlers lists the one the run asks for
    const handlers = runtimeHandlers.map((h) => h.name);
    if (handlers.length > 0) expect(handlers, 'Status.runtime_handlers').toContain(suite.options.runtimeHandler ?? '');
  });
}
