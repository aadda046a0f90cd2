import { ShimError } from '../errors.js';
import type { OperationOptions } from '../interfaces/operation-options.js';
import type { ShimServices } from '../shim/shim-services.js';

/** What a runtime handler may say it cannot do (see RuntimeHandlerInfo). */
export type HandlerFeature = 'exec' | 'attach' | 'portForward';

const WHY: Record<HandlerFeature, string> = {
  exec: 'cannot exec with streams: its containers have no processes to start a command in',
  attach: 'cannot attach to a container: its containers have no stdio to connect to',
  portForward: 'cannot port-forward: nothing in its pods listens on a port',
};

/** Throws Unimplemented, naming the handler, when the pod's runtime handler says it cannot do `feature`. */
export async function requireHandlerFeature(shim: ShimServices, runtimeHandler: string, feature: HandlerFeature, options: OperationOptions = {}): Promise<void> {
  const handler = (await shim.runtime.info(options)).handlers.find((h) => h.name === runtimeHandler);
  if (handler?.[feature] === false) throw new ShimError('Unimplemented', `runtime handler "${runtimeHandler}" ${WHY[feature]}`);
}
