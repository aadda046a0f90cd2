import type { ExecSyncRequest, ExecSyncResponse } from '@shimkit/cri-types';
import { fitExecOutput } from '../convert/exec-output.js';
import { ShimError } from '../errors.js';
import type { ShimHandler } from './handler.js';
import { findContainer } from './support.js';

/**
 * ExecSync: runs a command in a running container; a passed timeout answers DeadlineExceeded
 * (what kubelet's probes expect). Output is capped per stream by the backend and then, together,
 * to what fits kubelet's 16 MiB message limit.
 */
export const execSync: ShimHandler<ExecSyncRequest, ExecSyncResponse> = async (shim, request, ctx) => {
  const record = findContainer(shim, request.containerId);
  if (request.cmd.length === 0) throw new ShimError('InvalidArgument', 'cmd is required');
  if (record.state !== 'running') throw new ShimError('FailedPrecondition', `container "${record.id}" is ${record.state}, not running`);
  const timeoutSeconds = request.timeout > 0n ? Number(request.timeout) : 0;
  const result = await shim.runtime.execSync(record.id, {
    cmd: request.cmd,
    timeoutMs: timeoutSeconds * 1000,
    maxOutputBytes: shim.config.execSyncMaxOutputBytes,
    signal: ctx.signal,
  });
  if (result.timedOut) throw new ShimError('DeadlineExceeded', `command ${JSON.stringify(request.cmd)} timed out after ${timeoutSeconds}s`);
  return { ...fitExecOutput(result.stdout, result.stderr), exitCode: result.exitCode };
};
