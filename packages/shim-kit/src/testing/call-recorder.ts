import { ShimError } from '../errors.js';

/** One call a fake received. */
export interface RecordedCall {
  method: string;
  args: unknown[];
  at: Date;
}

interface Injection {
  error: Error;
  remaining: number;
}

/** Call recording and error injection, shared by the fakes. */
export class CallRecorder<M extends string> {
  readonly #calls: RecordedCall[] = [];
  readonly #injections = new Map<M, Injection[]>();

  /** Every call so far, oldest first. */
  get calls(): readonly RecordedCall[] {
    return this.#calls;
  }

  /** The calls to one method. */
  callsTo(method: M): RecordedCall[] {
    return this.#calls.filter((c) => c.method === method);
  }

  /** Method names in call order (like cri-api's fake `Called` list). */
  methods(): string[] {
    return this.#calls.map((c) => c.method);
  }

  clearCalls(): void {
    this.#calls.length = 0;
  }

  /**
   * The next `times` calls (default 1) to `method` fail with `error` (a `ShimError`, or any
   * error; a string becomes `ShimError('Internal', message)`). Injections queue in order.
   */
  failNext(method: M, error: Error | string, options: { times?: number } = {}): void {
    const e = typeof error === 'string' ? new ShimError('Internal', error) : error;
    const list = this.#injections.get(method) ?? [];
    list.push({ error: e, remaining: options.times ?? 1 });
    this.#injections.set(method, list);
  }

  /** Drops every pending injection. */
  clearFailures(): void {
    this.#injections.clear();
  }

  /** Records a call and throws an injected error if one is pending. */
  enter(method: M, args: unknown[], signal?: AbortSignal): void {
    this.#calls.push({ method, args, at: new Date() });
    signal?.throwIfAborted();
    const list = this.#injections.get(method);
    const next = list?.[0];
    if (list === undefined || next === undefined) return;
    next.remaining -= 1;
    if (next.remaining <= 0) list.shift();
    throw next.error;
  }
}
