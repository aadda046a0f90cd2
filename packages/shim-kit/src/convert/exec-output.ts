import { KUBELET_MAX_SEND_MESSAGE_BYTES } from '@shimkit/cri-types';

// Room for the protobuf framing of ExecSyncResponse (tags, lengths, exit code).
const FRAMING_BYTES = 1024;

/** Bytes stdout and stderr may use together so an ExecSyncResponse stays under kubelet's 16 MiB message limit. */
export const EXEC_SYNC_RESPONSE_BUDGET = KUBELET_MAX_SEND_MESSAGE_BYTES - FRAMING_BYTES;

/**
 * Truncates stdout and stderr so that together they fit `budget`. Each stream is guaranteed
 * half the budget; what one does not use the other may.
 */
export function fitExecOutput(stdout: Buffer, stderr: Buffer, budget: number = EXEC_SYNC_RESPONSE_BUDGET): { stdout: Buffer; stderr: Buffer } {
  if (stdout.length + stderr.length <= budget) return { stdout, stderr };
  const half = Math.floor(budget / 2);
  const errKeep = stderr.length <= half ? stderr.length : Math.max(half, budget - stdout.length);
  const outKeep = Math.min(stdout.length, budget - errKeep);
  return { stdout: stdout.subarray(0, outKeep), stderr: stderr.subarray(0, errKeep) };
}
