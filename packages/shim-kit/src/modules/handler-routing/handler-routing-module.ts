import type { DependencyContainer } from '../../di.js';
import type { RuntimeBackend } from '../../interfaces/runtime-backend.js';
import { provideFactory, type ShimModule } from '../../shim/modules.js';
import { Tokens } from '../../tokens.js';
import { HandlerRoutingBackend } from './handler-routing-backend.js';

/**
 * Registers, as the shim's RuntimeBackend, a {@link HandlerRoutingBackend} over the backends the
 * factories make (the default one first): each pod runs on the backend that offers its runtime handler.
 *
 * ```ts
 * modules: [handlerRoutingModule([(c) => createRuncConmonBackend(c), (c) => new MyBackend(...)])]
 * ```
 */
export function handlerRoutingModule(backends: ReadonlyArray<(c: DependencyContainer) => RuntimeBackend>): ShimModule {
  return provideFactory(Tokens.RuntimeBackend, (c) => new HandlerRoutingBackend(backends.map((make) => make(c))));
}
