import type { Logger } from '../interfaces/logger.js';
import type { ContainerExit } from '../interfaces/runtime-backend.js';

/** Called with each container exit. */
export type ExitListener = (exit: ContainerExit) => void;

/**
 * The exit listeners of a runtime backend (its `onExit`): each exit told to every listener, a
 * listener that throws logged and not let through to the backend, and exits the backend saw
 * before a listener came (found at start after a restart) told to it as well.
 */
export class ExitListeners {
  readonly #listeners = new Set<ExitListener>();

  /** `name` is the backend's, for the log line of a listener that throws. */
  constructor(private readonly options: { name: string; logger?: Logger | undefined }) {}

  /**
   * Adds a listener; returns its removal. The exits in `seen` reach it on a microtask (after
   * `onExit` returned), each only while it is still listening and `current(exit)` holds.
   */
  add(listener: ExitListener, replay: { seen: readonly ContainerExit[]; current?: (exit: ContainerExit) => boolean } = { seen: [] }): () => void {
    this.#listeners.add(listener);
    const { seen, current } = replay;
    if (seen.length > 0) {
      queueMicrotask(() => {
        for (const exit of seen) if (this.#listeners.has(listener) && (current?.(exit) ?? true)) this.#tell(listener, exit);
      });
    }
    return () => void this.#listeners.delete(listener);
  }

  /** Tells every listener of now. */
  tell(exit: ContainerExit): void {
    for (const listener of [...this.#listeners]) this.#tell(listener, exit);
  }

  clear(): void {
    this.#listeners.clear();
  }

  #tell(listener: ExitListener, exit: ContainerExit): void {
    try {
      listener(exit);
    } catch (e) {
      this.options.logger?.warn(`${this.options.name}: exit listener threw`, { containerId: exit.id, error: String(e) });
    }
  }
}
