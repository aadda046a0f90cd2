import { describe } from 'vitest';
import { errorCases } from './runtime-backend/error-cases.js';
import { exitCases } from './runtime-backend/exit-cases.js';
import type { RuntimeBackendHarness } from './runtime-backend/harness.js';
import { idempotenceCases } from './runtime-backend/idempotence-cases.js';
import { lifecycleCases } from './runtime-backend/lifecycle-cases.js';
import { logCases } from './runtime-backend/log-cases.js';
import { restartCases } from './runtime-backend/restart-cases.js';
import { statusCases } from './runtime-backend/status-cases.js';
import { useRuntimeBackendSuite } from './runtime-backend/suite-context.js';

export type { ConformanceContainer, ConformanceWorkload, RuntimeBackendCase, RuntimeBackendHarness } from './runtime-backend/harness.js';

/**
 * The behaviour kubelet relies on from every `RuntimeBackend`, as vitest cases: lifecycle
 * and exec, exit codes and OOM kills, the stop signal and its timeout, status fields, stats, CRI
 * log files, exit events, idempotent stop and remove, NotFound and AlreadyExists, and a restart
 * (a new instance over the same state). Each case is named ({@link RuntimeBackendCase}) so a
 * harness can skip what its backend cannot do, with a reason.
 */
export function runtimeBackendConformance(name: string, harness: RuntimeBackendHarness): void {
  describe(`RuntimeBackend conformance: ${name}`, () => {
    const suite = useRuntimeBackendSuite(harness);
    lifecycleCases(suite);
    exitCases(suite);
    statusCases(suite);
    logCases(suite);
    idempotenceCases(suite);
    errorCases(suite);
    restartCases(suite);
  });
}
