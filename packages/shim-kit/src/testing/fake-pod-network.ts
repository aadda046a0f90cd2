import { ShimError } from '../errors.js';
import type { OperationOptions } from '../interfaces/operation-options.js';
import type { PodNetwork, PodNetworkAttachment, PodNetworkRequest } from '../interfaces/pod-network.js';
import { CallRecorder } from './call-recorder.js';

/** Methods of {@link FakePodNetwork} that record calls and accept injected errors. */
export type FakeNetworkMethod = 'setup' | 'teardown' | 'status';

/** A pod the fake network has attached. */
export interface FakeAttachment extends PodNetworkAttachment {
  request: Omit<PodNetworkRequest, 'signal'>;
}

/**
 * An in-memory PodNetwork: hands out made-up netns paths and addresses from 10.88.0.0/16
 * (one per pod, never reused), records calls, takes injected errors, and can report
 * NetworkReady false.
 */
export class FakePodNetwork extends CallRecorder<FakeNetworkMethod> implements PodNetwork {
  readonly #attached = new Map<string, FakeAttachment>();
  #next = 2;
  #status: { ready: boolean; reason?: string; message?: string } = { ready: true };

  /** Pods currently attached, by sandbox id. */
  attachments(): Map<string, FakeAttachment> {
    return new Map(this.#attached);
  }

  /** What `status` reports. */
  setStatus(status: { ready: boolean; reason?: string; message?: string }): void {
    this.#status = { ...status };
  }

  async setup(request: PodNetworkRequest): Promise<PodNetworkAttachment> {
    const { signal, ...rest } = request;
    this.enter('setup', [rest], signal);
    if (this.#attached.has(request.sandboxId)) throw new ShimError('AlreadyExists', `pod ${request.sandboxId} is already attached`);
    if (this.#next > 65_534) throw new ShimError('ResourceExhausted', 'the fake network ran out of addresses');
    const n = this.#next++;
    const attachment = { netnsPath: `/var/run/netns/fake-${request.sandboxId.slice(0, 16)}`, ips: [`10.88.${n >> 8}.${n & 255}`] };
    this.#attached.set(request.sandboxId, { ...attachment, request: rest });
    return { ...attachment, ips: [...attachment.ips] };
  }

  async teardown(request: PodNetworkRequest & { netnsPath: string }): Promise<void> {
    const { signal, ...rest } = request;
    this.enter('teardown', [rest], signal);
    this.#attached.delete(request.sandboxId);
  }

  async status(options: OperationOptions = {}): Promise<{ ready: boolean; reason?: string; message?: string }> {
    this.enter('status', [], options.signal);
    return { ...this.#status };
  }

  async close(): Promise<void> {}
}
