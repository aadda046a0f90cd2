import { join } from 'node:path';
import type { DependencyContainer } from '../../di.js';
import { provideFactory, type ShimModule } from '../../shim/modules.js';
import { Tokens } from '../../tokens.js';
import { RuncConmonBackend, type RuncConmonBackendOptions } from './runc-backend.js';

/** Options of {@link runcConmonModule}: the backend's, with `state` defaulting to `<shim state>/runtime`. */
export type RuncConmonModuleOptions = Omit<RuncConmonBackendOptions, 'state' | 'logger' | 'restrictOomScoreAdj' | 'infra' | 'helper'> & {
  state?: string;
  /**
   * The pause image for pods that share one PID namespace (their infra container), taken
   * from the shim's ImageBackend (pulled when missing), e.g. `registry.k8s.io/pause:3.9`.
   * Without it such pods are refused with UNIMPLEMENTED.
   */
  pauseImage?: string;
};

/**
 * Registers the default RuntimeBackend: {@link RuncConmonBackend} (runc + conmon, pods with
 * pinned namespaces), using the shim's state dir, logger and oom_score_adj policy.
 *
 * ```ts
 * await createShim({ socket, root, state, modules: [runcConmonModule({ runtime: 'runc' }), ...] });
 * ```
 */
export function runcConmonModule(options: RuncConmonModuleOptions = {}): ShimModule {
  return provideFactory(Tokens.RuntimeBackend, (c) => createRuncConmonBackend(c, options));
}

/**
 * The backend {@link runcConmonModule} registers, made from a shim's container: for a module that
 * composes it with other backends (see `handlerRoutingModule`).
 */
export function createRuncConmonBackend(c: DependencyContainer, options: RuncConmonModuleOptions = {}): RuncConmonBackend {
  const config = c.resolve(Tokens.ShimConfig);
  const { pauseImage, ...rest } = options;
  return new RuncConmonBackend({
    ...rest,
    ...(pauseImage === undefined ? {} : { infra: { image: pauseImage, images: c.resolve(Tokens.ImageBackend) } }),
    state: options.state ?? join(config.state, 'runtime'),
    logger: c.resolve(Tokens.Logger),
    restrictOomScoreAdj: config.restrictOomScoreAdj,
    helper: c.resolve(Tokens.HostHelper),
  });
}
