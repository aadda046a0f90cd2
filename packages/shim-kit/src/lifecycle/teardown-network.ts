import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { podNetworkRequest } from './pod-network-request.js';

/**
 * Tears the pod network down if it is still up. A failure is logged and leaves
 * `networkTornDown` false, so the next Stop or Remove retries; it never fails the call.
 */
export async function teardownNetwork(shim: ShimServices, sandbox: SandboxRecord, signal?: AbortSignal): Promise<void> {
  if (sandbox.networkTornDown || sandbox.netnsPath === undefined) return;
  try {
    await shim.network.teardown({ ...podNetworkRequest(sandbox, signal), netnsPath: sandbox.netnsPath });
    await shim.sandboxes.update(sandbox.id, (s) => ({ ...s, networkTornDown: true }));
  } catch (e) {
    if (signal?.aborted === true) throw e;
    shim.logger.warn('pod network teardown failed; will retry on the next stop or remove', { sandboxId: sandbox.id, error: String(e) });
  }
}
