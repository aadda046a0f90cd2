/**
 * Runs garbage collection only while no pull or rootfs preparation is in flight: such work
 * makes snapshots no image names yet, which a collection would take for garbage. Work waits
 * for a running collection; a collection asked for while work runs starts when the last
 * piece of it ends.
 */
export class GcScheduler {
  readonly #collect: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #users = 0;
  #running: Promise<void> | undefined;
  #pending: (() => void)[] = [];

  constructor(collect: () => Promise<void>, onError: (error: unknown) => void) {
    this.#collect = collect;
    this.#onError = onError;
  }

  /** True while work runs (a collection asked for now would be deferred). */
  get busy(): boolean {
    return this.#users > 0;
  }

  /** Runs `work`, keeping collections out until it ends. */
  async use<T>(work: () => Promise<T>): Promise<T> {
    while (this.#running !== undefined) await this.#running;
    this.#users++;
    try {
      return await work();
    } finally {
      this.#users--;
      this.#startIfDue();
    }
  }

  /** Asks for a collection; resolves when one that began after this call has ended (errors go to onError). */
  request(): Promise<void> {
    const done = new Promise<void>((resolve) => this.#pending.push(resolve));
    this.#startIfDue();
    return done;
  }

  #startIfDue(): void {
    if (this.#users > 0 || this.#running !== undefined || this.#pending.length === 0) return;
    const waiting = this.#pending.splice(0);
    this.#running = this.#collect()
      .catch((e: unknown) => this.#onError(e))
      .finally(() => {
        this.#running = undefined;
        for (const resolve of waiting) resolve();
        this.#startIfDue();
      });
  }
}
