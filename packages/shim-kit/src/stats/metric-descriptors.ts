import { MetricType, type MetricDescriptor } from '@shimkit/cri-types';

/**
 * Label keys of every container metric, in the order of their values. They are the labels
 * kubelet's own cAdvisor endpoint puts on a container's series (`container` and `pod` from the
 * CRI metadata, `id`, `image`, `name`), so dashboards and recording rules written for
 * /metrics/cadvisor select the same series when kubelet serves it from CRI metrics
 * (feature gate PodAndContainerStatsFromCRI).
 */
export const CONTAINER_LABEL_KEYS = ['container', 'id', 'image', 'name', 'namespace', 'pod'] as const;

/** Label keys of the pod network metrics: the container keys and the interface. */
export const NETWORK_LABEL_KEYS = [...CONTAINER_LABEL_KEYS, 'interface'] as const;

/** A metric shimkit produces: its descriptor and its type. */
export interface ShimMetric {
  name: string;
  help: string;
  type: MetricType;
  labelKeys: readonly string[];
}

const metric = (name: string, type: MetricType, help: string, extraKeys: readonly string[] = []): ShimMetric => ({
  name,
  help,
  type,
  labelKeys: [...CONTAINER_LABEL_KEYS, ...extraKeys],
});
const { COUNTER, GAUGE } = MetricType;

/** Container metrics, from the backend's usage and the container's record. */
export const CONTAINER_METRICS = {
  cpuUsage: metric('container_cpu_usage_seconds_total', COUNTER, 'CPU time the container used, in whole seconds (cpu="total": all CPUs).', ['cpu']),
  memoryUsage: metric('container_memory_usage_bytes', GAUGE, 'Memory the container uses in bytes, page cache included.'),
  memoryWorkingSet: metric('container_memory_working_set_bytes', GAUGE, 'Memory the container uses in bytes, minus inactive file pages (what kubelet evicts on).'),
  memoryRss: metric('container_memory_rss', GAUGE, 'Anonymous memory (RSS) of the container in bytes.'),
  memoryFailures: metric('container_memory_failures_total', COUNTER, 'Page faults of the container (failure_type pgfault or pgmajfault).', ['failure_type', 'scope']),
  specMemoryLimit: metric('container_spec_memory_limit_bytes', GAUGE, 'Memory limit of the container in bytes; 0 when unlimited.'),
  specCpuShares: metric('container_spec_cpu_shares', GAUGE, 'CPU shares of the container.'),
  specCpuPeriod: metric('container_spec_cpu_period', GAUGE, 'CFS period of the container in microseconds.'),
  specCpuQuota: metric('container_spec_cpu_quota', GAUGE, 'CFS quota of the container in microseconds per period.'),
  startTime: metric('container_start_time_seconds', GAUGE, 'When the container started, in seconds since the epoch.'),
  lastSeen: metric('container_last_seen', GAUGE, 'When the shim last saw the container running, in seconds since the epoch.'),
} as const satisfies Record<string, ShimMetric>;

const network = (name: string, help: string): ShimMetric => ({ ...metric(name, COUNTER, help), labelKeys: NETWORK_LABEL_KEYS });

/** Pod network metrics, per interface of the pod's network namespace. */
export const NETWORK_METRICS = {
  rxBytes: network('container_network_receive_bytes_total', 'Bytes the pod received on the interface.'),
  rxPackets: network('container_network_receive_packets_total', 'Packets the pod received on the interface.'),
  rxDropped: network('container_network_receive_packets_dropped_total', 'Received packets dropped on the interface.'),
  rxErrors: network('container_network_receive_errors_total', 'Receive errors on the interface.'),
  txBytes: network('container_network_transmit_bytes_total', 'Bytes the pod sent on the interface.'),
  txPackets: network('container_network_transmit_packets_total', 'Packets the pod sent on the interface.'),
  txDropped: network('container_network_transmit_packets_dropped_total', 'Packets dropped while sending on the interface.'),
  txErrors: network('container_network_transmit_errors_total', 'Send errors on the interface.'),
} as const satisfies Record<string, ShimMetric>;

/** What ListMetricDescriptors answers: every metric ListPodSandboxMetrics may return. */
export function metricDescriptors(): MetricDescriptor[] {
  return [...Object.values(CONTAINER_METRICS), ...Object.values(NETWORK_METRICS)].map((m) => ({ name: m.name, help: m.help, labelKeys: [...m.labelKeys] }));
}
