import { describe } from 'vitest';
import { containerCases } from './cri/container-cases.js';
import type { CriConformanceOptions } from './cri/cri-conformance-options.js';
import { useCriSuite } from './cri/cri-suite-context.js';
import { errorCases } from './cri/error-cases.js';
import { eventCases } from './cri/event-cases.js';
import { execCases } from './cri/exec-cases.js';
import { imageCases, imageFsCases } from './cri/image-cases.js';
import { logStatsCases } from './cri/log-stats-cases.js';
import { runtimeInfoCases } from './cri/runtime-info-cases.js';
import { sandboxCases } from './cri/sandbox-cases.js';
import { streamingCases } from './cri/streaming-cases.js';

export type { CriCase, CriConformanceOptions, CriHandlerAbilities, CriWorkloads } from './cri/cri-conformance-options.js';
export { BUSYBOX_CRI_WORKLOADS } from './cri/cri-workloads.js';
export { KNOWN_DEVIATIONS } from './cri/known-deviations.js';

/**
 * Registers vitest cases that check a CRI runtime on its socket against the CRI's contract as
 * kubelet relies on it: Version and Status, images, pods, containers, ExecSync, streaming URLs, log files,
 * stats, events and NotFound for unknown ids. Every pod it makes is stopped and removed after its case.
 * Cases are named ({@link CriCase}); `skip` and the runtime's {@link KNOWN_DEVIATIONS} skip them
 * with a reason.
 */
export function runCriConformance(options: CriConformanceOptions): void {
  const title = options.name ?? (typeof options.endpoint === 'string' ? options.endpoint : 'a CRI runtime');
  describe(`CRI conformance: ${title}${options.runtimeHandler ? ` (handler ${options.runtimeHandler})` : ''}`, () => {
    const suite = useCriSuite(options);
    runtimeInfoCases(suite);
    imageCases(suite);
    imageFsCases(suite);
    sandboxCases(suite);
    containerCases(suite);
    execCases(suite);
    logStatsCases(suite);
    eventCases(suite);
    streamingCases(suite);
    errorCases(suite);
  });
}
