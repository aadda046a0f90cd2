import type { CriCase } from './cri-conformance-options.js';

/**
 * Where a runtime we test against answers differently from the CRI's contract, by the
 * `runtime_name` its Version RPC reports. These cases are skipped for it with the reason given.
 */
export const KNOWN_DEVIATIONS: Readonly<Record<string, Partial<Record<CriCase, string>>>> = {
  containerd: {
    'container-events': 'containerd 1.6 answers GetContainerEvents with Unimplemented (evented PLEG came in 1.7)',
    'sandbox-stop-removed': 'containerd 1.6 answers StopPodSandbox of a removed sandbox with NotFound, though the contract makes the call idempotent',
  },
};
