import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from './client.js';
import { isCriError } from './cri-error.js';
import { listenUnix } from './listen-unix.js';
import { KUBELET_MAX_RECEIVE_MESSAGE_BYTES, KUBELET_MAX_SEND_MESSAGE_BYTES, messageLimitOptions } from './message-limits.js';
import { addCriServices, createCriServer } from './server.js';
import { makeTempDir } from './socket-fixtures.test-helper.js';

const MiB = 1024 * 1024;
const tooBig = 16 * MiB + 1024;

describe('kubelet message limits', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await makeTempDir()));
  afterEach(() => remove());

  it('are 16 MiB both ways', () => {
    expect(KUBELET_MAX_SEND_MESSAGE_BYTES).toBe(16 * MiB);
    expect(KUBELET_MAX_RECEIVE_MESSAGE_BYTES).toBe(16 * MiB);
    expect(messageLimitOptions()).toEqual({ 'grpc.max_send_message_length': 16 * MiB, 'grpc.max_receive_message_length': 16 * MiB });
  });

  // A peer with raised limits, so that each side's own receive limit is what trips.
  it('make the client refuse a response, and the server refuse a request, over 16 MiB', async () => {
    const server = createCriServer({ maxSendMessageBytes: 32 * MiB });
    addCriServices(server, {
      runtime: {
        execSync: (request) => ({ stdout: Buffer.alloc(Number(request.cmd[0] ?? '0')) }),
      },
    });
    await using listener = await listenUnix(server, join(dir, 'cri.sock'));
    await using client = await connect(listener.path);
    const receiving = await client.runtime.execSync({ cmd: [String(tooBig)] }).catch((e: unknown) => e);
    expect(isCriError(receiving, 'ResourceExhausted')).toBe(true);
    expect((receiving as Error).message).toMatch(/Received message larger than max/);

    await using bigSender = await connect(listener.path, { maxSendMessageBytes: 32 * MiB });
    const sending = await bigSender.runtime.execSync({ cmd: ['1', 'z'.repeat(tooBig)] }).catch((e: unknown) => e);
    expect(isCriError(sending, 'ResourceExhausted')).toBe(true);
    expect((sending as Error).message).toMatch(/larger than max/);
  });
});
