/** Options every async backend operation takes. */
export interface OperationOptions {
  /** Cancels the operation (the gRPC call was cancelled, its deadline passed, or the shim is closing). */
  signal?: AbortSignal;
}
