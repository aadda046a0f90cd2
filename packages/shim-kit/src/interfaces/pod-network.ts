import type { OperationOptions } from './operation-options.js';

/** A hostPort mapping of a pod. */
export interface PodPortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

/** Identifies a pod to the network (CNI's container id, pod args and capability args). */
/** The id mappings of a pod's own user namespace (CRI's IDMapping: `length` ids from `containerId` are `hostId`... on the host). */
export interface UserNamespaceMappings {
  uidMappings: { containerId: number; hostId: number; length: number }[];
  gidMappings: { containerId: number; hostId: number; length: number }[];
}

export interface PodNetworkRequest extends OperationOptions {
  sandboxId: string;
  podName: string;
  podNamespace: string;
  podUid: string;
  portMappings: PodPortMapping[];
  /** The pod has a user namespace of its own: the network namespace is made inside it (so its root administers it). */
  userNamespace?: UserNamespaceMappings;
}

/** A pod's network once set up. */
export interface PodNetworkAttachment {
  /** Path of the (pinned) network namespace the pod's containers join. */
  netnsPath: string;
  /** Pod IPs, the primary first. */
  ips: string[];
  /** The pinned user namespace the network namespace belongs to, when the request asked for one. */
  usernsPath?: string;
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
