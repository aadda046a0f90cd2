import { AsyncLocalStorage } from 'node:async_hooks';

/** The CRI call the code running now serves. */
export interface CallContext {
  /** From the call's `x-request-id` metadata, else generated for it. */
  readonly requestId: string;
  /** The RPC's name, e.g. `RunPodSandbox`. */
  readonly rpc: string;
}

const calls = new AsyncLocalStorage<CallContext>();

/** The CRI call being served (through every await of its handler), or undefined outside one. */
export function currentCall(): CallContext | undefined {
  return calls.getStore();
}

/** Runs `work` as part of `call`: loggers and tracers called from it see the call. */
export function runInCall<T>(call: CallContext, work: () => T): T {
  return calls.run(call, work);
}
