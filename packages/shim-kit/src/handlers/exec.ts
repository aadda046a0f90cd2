import type { ExecRequest, ExecResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import { requireHandlerFeature } from '../lifecycle/handler-features.js';
import type { ShimHandler } from './handler.js';
import { findContainer, findSandbox } from './support.js';

/**
 * Exec: checks the request as kubelet does and answers with a single-use URL of the shim's
 * streaming server, where the client's connection runs the command.
 */
export const exec: ShimHandler<ExecRequest, ExecResponse> = async (shim, request, ctx) => {
  if (request.containerId === '') throw new ShimError('InvalidArgument', 'containerId is required');
  if (request.cmd.length === 0) throw new ShimError('InvalidArgument', 'cmd is required');
  if (request.tty && request.stderr) throw new ShimError('InvalidArgument', 'tty and stderr cannot both be set: a terminal has one output stream');
  if (!request.stdin && !request.stdout && !request.stderr) throw new ShimError('InvalidArgument', 'at least one of stdin, stdout and stderr must be set');
  const record = findContainer(shim, request.containerId);
  if (record.state !== 'running') throw new ShimError('FailedPrecondition', `container "${record.id}" is ${record.state}, not running`);
  await requireHandlerFeature(shim, findSandbox(shim, record.sandboxId).runtimeHandler, 'exec', { signal: ctx.signal });
  if (!shim.runtime.exec) throw new ShimError('Unimplemented', 'the runtime backend cannot exec with streams');
  return shim.streaming.requestExec({
    containerId: record.id, cmd: request.cmd, tty: request.tty, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr,
  });
};
