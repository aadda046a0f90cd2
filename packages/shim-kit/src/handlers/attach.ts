import type { AttachRequest, AttachResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import { requireHandlerFeature } from '../lifecycle/handler-features.js';
import type { ShimHandler } from './handler.js';
import { findContainer, findSandbox } from './support.js';

/**
 * Attach: checks the request against the container and answers with a single-use URL of the
 * shim's streaming server, where the client's connection is wired to the container's stdio.
 * A tty container has one output stream, so its attach carries no stderr.
 */
export const attach: ShimHandler<AttachRequest, AttachResponse> = async (shim, request, ctx) => {
  if (request.containerId === '') throw new ShimError('InvalidArgument', 'containerId is required');
  if (!request.stdin && !request.stdout && !request.stderr) throw new ShimError('InvalidArgument', 'at least one of stdin, stdout and stderr must be set');
  const record = findContainer(shim, request.containerId);
  if (record.state !== 'running') throw new ShimError('FailedPrecondition', `container "${record.id}" is ${record.state}, not running`);
  if (request.stdin && !record.config.stdin) throw new ShimError('FailedPrecondition', `container "${record.id}" was not created with stdin, so it cannot be attached to with stdin`);
  if (request.tty !== record.config.tty) {
    throw new ShimError('InvalidArgument', `tty=${request.tty} does not match the container, which was created with tty=${record.config.tty}`);
  }
  await requireHandlerFeature(shim, findSandbox(shim, record.sandboxId).runtimeHandler, 'attach', { signal: ctx.signal });
  if (!shim.runtime.attach) throw new ShimError('Unimplemented', 'the runtime backend cannot attach');
  return shim.streaming.requestAttach({
    containerId: record.id,
    stdin: request.stdin,
    stdout: request.stdout,
    stderr: request.stderr && !request.tty,
    tty: request.tty,
    stdinOnce: record.config.stdinOnce,
  });
};
