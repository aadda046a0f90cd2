import type { OperationOptions } from './operation-options.js';

/** A hostPort mapping of a pod. */
export interface PodPortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

/** Identifies a pod to the network (CNI's container id, pod args and capability args). */
export interface PodNetworkRequest extends OperationOptions {
  sandboxId: string;
  podName: string;
  podNamespace: string;
  podUid: string;
  portMappings: PodPortMapping[];
}

/** A pod's network once set up. */
export interface PodNetworkAttachment {
  /** Path of the (pinned) network namespace the pod's containers join. */
  netnsPath: string;
  /** Pod IPs, the primary first. */
  ips: string[];
}

/** Gives pods a network namespace with interfaces and IPs (CNI, a fake ...). */
export interface PodNetwork {
  /** Creates the pod's network namespace and attaches it. */
  setup(request: PodNetworkRequest): Promise<PodNetworkAttachment>;
  /** Detaches and deletes the namespace; idempotent (a second call, or one for an unknown pod, succeeds). */
  teardown(request: PodNetworkRequest & { netnsPath: string }): Promise<void>;
  /** NetworkReady for the Status RPC. */
  status(options?: OperationOptions): Promise<{ ready: boolean; reason?: string; message?: string }>;
  close(): Promise<void>;
}
