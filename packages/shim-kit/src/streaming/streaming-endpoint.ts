import { ShimError } from '../errors.js';
import type { AttachRequest } from './attach-runner.js';
import type { ExecRequest } from './exec-runner.js';
import type { PortForwardTarget } from './port-forwarder.js';

/** Where Exec, Attach and PortForward send kubelet's client: single-use URLs of a streaming server. */
export interface StreamingEndpoint {
  requestExec(request: ExecRequest): { url: string };
  requestAttach(request: AttachRequest): { url: string };
  requestPortForward(target: PortForwardTarget, ports?: readonly number[]): { url: string };
}

const refuse = (): never => {
  throw new ShimError('Unimplemented', 'this shim runs no streaming server (createShim streaming: false)');
};

/** The endpoint of a shim without a streaming server: every request is Unimplemented. */
export const noStreaming: StreamingEndpoint = { requestExec: refuse, requestAttach: refuse, requestPortForward: refuse };
