import { recordExit } from '../lifecycle/record-exit.js';
import type { ContainerExit } from '../interfaces/runtime-backend.js';
import type { ShimServices } from './shim-services.js';

/** Turns the backend's exit reports into store updates and CONTAINER_STOPPED events. */
export class ExitMonitor {
  readonly #shim: ShimServices;
  readonly #pending = new Set<Promise<void>>();
  #unsubscribe: (() => void) | undefined;

  constructor(shim: ShimServices) {
    this.#shim = shim;
  }

  start(): void {
    this.#unsubscribe ??= this.#shim.runtime.onExit((exit) => this.#handle(exit));
  }

  /** Stops listening and waits for exits being recorded. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await Promise.allSettled([...this.#pending]);
  }

  #handle(exit: ContainerExit): void {
    const work = recordExit(this.#shim, exit).catch((e: unknown) => {
      this.#shim.logger.error('recording a container exit failed', { containerId: exit.id, error: String(e) });
    });
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }
}
