import { Metadata } from '@grpc/grpc-js';

/** Per-call options of every client method. */
export interface CriCallOptions {
  /** Aborting cancels the call; it then fails with a `CriError` code `Cancelled` whose `cause` is the abort reason. */
  signal?: AbortSignal;
  /** Time limit of the call in milliseconds; when it passes the call fails with code `DeadlineExceeded`. */
  timeoutMs?: number;
  /** Absolute deadline of the call; the earlier of `deadline` and `timeoutMs` applies. */
  deadline?: Date;
  /** Request metadata (headers), as a grpc-js `Metadata` or a plain record. */
  metadata?: Metadata | Record<string, string>;
}

/** The deadline for a call, or undefined for none. */
export function callDeadline(options: CriCallOptions, defaultTimeoutMs?: number): Date | undefined {
  const timeoutMs = options.timeoutMs ?? (options.deadline === undefined ? defaultTimeoutMs : undefined);
  const candidates: number[] = [];
  if (timeoutMs !== undefined) candidates.push(Date.now() + timeoutMs);
  if (options.deadline !== undefined) candidates.push(options.deadline.getTime());
  return candidates.length === 0 ? undefined : new Date(Math.min(...candidates));
}

/** The call's metadata as a grpc-js `Metadata`. */
export function callMetadata(options: CriCallOptions): Metadata {
  if (options.metadata instanceof Metadata) return options.metadata;
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return metadata;
}
