import { ShimError, isShimError, type ShimErrorCode } from '../../errors.js';

/** Why a CNI operation failed. */
export type CniErrorReason =
  /** No network configuration file in the conf dir. */
  | 'NoConfig'
  /** The chosen configuration file is unreadable or invalid. */
  | 'InvalidConfig'
  /** A plugin binary is in none of the bin dirs. */
  | 'PluginNotFound'
  /** A plugin exited non-zero (its CNI error code and message are on the error). */
  | 'PluginFailed'
  /** A plugin answered something that is not a CNI result. */
  | 'InvalidResult'
  /** Creating or removing the network namespace failed. */
  | 'NetnsFailed'
  /** The result cache could not be read or written. */
  | 'CacheFailed';

const statusOf: Record<CniErrorReason, ShimErrorCode> = {
  NoConfig: 'FailedPrecondition',
  InvalidConfig: 'FailedPrecondition',
  PluginNotFound: 'FailedPrecondition',
  PluginFailed: 'Internal',
  InvalidResult: 'Internal',
  NetnsFailed: 'Internal',
  CacheFailed: 'Internal',
};

/** CNI's well-known error code 11: a transient condition, try again later. */
export const CNI_TRY_AGAIN_LATER = 11;

/** Details of a {@link CniError}. */
export interface CniErrorDetails {
  cause?: unknown;
  /** The plugin type (binary name) involved. */
  plugin?: string;
  /** The CNI command that failed (`ADD`, `DEL` ...). */
  command?: string;
  /** The configuration file involved. */
  file?: string;
  /** The plugin's CNI error code (`code` of its error JSON). */
  cniCode?: number;
  /** The plugin's long error message (`details` of its error JSON). */
  cniDetails?: string;
}

/**
 * A failure of the CNI pod network. It is a {@link ShimError} (its `code` is the gRPC status a
 * CRI client gets) with a CNI-specific `reason`, and names the plugin or file involved.
 */
export class CniError extends ShimError {
  readonly reason: CniErrorReason;
  readonly plugin: string | undefined;
  readonly command: string | undefined;
  readonly file: string | undefined;
  readonly cniCode: number | undefined;
  readonly cniDetails: string | undefined;

  constructor(reason: CniErrorReason, message: string, details: CniErrorDetails = {}) {
    const code = reason === 'PluginFailed' && details.cniCode === CNI_TRY_AGAIN_LATER ? 'Unavailable' : statusOf[reason];
    super(code, message, details.cause === undefined ? {} : { cause: details.cause });
    this.reason = reason;
    this.plugin = details.plugin;
    this.command = details.command;
    this.file = details.file;
    this.cniCode = details.cniCode;
    this.cniDetails = details.cniDetails;
  }
}

/** Whether `e` is a {@link CniError}, optionally with the given reason (checked by field, not only by class). */
export function isCniError(e: unknown, reason?: CniErrorReason): e is CniError {
  if (!isShimError(e) || typeof (e as Partial<CniError>).reason !== 'string') return false;
  return reason === undefined || (e as CniError).reason === reason;
}
