import { join } from 'node:path';
import { provideFactory, type ShimModule } from '../../shim/modules.js';
import { Tokens } from '../../tokens.js';
import { RuncConmonBackend, type RuncConmonBackendOptions } from './runc-backend.js';

/** Options of {@link runcConmonModule}: the backend's, with `state` defaulting to `<shim state>/runtime`. */
export type RuncConmonModuleOptions = Omit<RuncConmonBackendOptions, 'state' | 'logger' | 'restrictOomScoreAdj'> & {
  state?: string;
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
  return provideFactory(Tokens.RuntimeBackend, (c) => {
    const config = c.resolve(Tokens.ShimConfig);
    return new RuncConmonBackend({
      ...options,
      state: options.state ?? join(config.state, 'runtime'),
      logger: c.resolve(Tokens.Logger),
      restrictOomScoreAdj: config.restrictOomScoreAdj,
    });
  });
}
