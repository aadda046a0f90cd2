/** Largest message kubelet sends to a CRI runtime (16 MiB, kubelet's `maxMsgSize`). */
export const KUBELET_MAX_SEND_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Largest message kubelet accepts from a CRI runtime (16 MiB). */
export const KUBELET_MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024 * 1024;

/** grpc-js channel options that apply kubelet's limits (or the given ones) in both directions. */
export function messageLimitOptions(limits: { maxSendMessageBytes?: number; maxReceiveMessageBytes?: number } = {}): {
  'grpc.max_send_message_length': number;
  'grpc.max_receive_message_length': number;
} {
  return {
    'grpc.max_send_message_length': limits.maxSendMessageBytes ?? KUBELET_MAX_SEND_MESSAGE_BYTES,
    'grpc.max_receive_message_length': limits.maxReceiveMessageBytes ?? KUBELET_MAX_RECEIVE_MESSAGE_BYTES,
  };
}
