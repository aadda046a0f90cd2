import type { ContainerConfig, DeepPartial, PodSandboxConfig } from '@shimkit/cri-types';

/** A pod config as kubelet sends it. */
export function podConfig(name: string, extra: DeepPartial<PodSandboxConfig> = {}): DeepPartial<PodSandboxConfig> {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/default_${name}`,
    labels: { app: name },
    ...extra,
  };
}

/** A container config as kubelet sends it (env values as bytes). */
export function containerConfig(name: string, extra: DeepPartial<ContainerConfig> = {}): DeepPartial<ContainerConfig> {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox' },
    command: ['sleep', '3600'],
    envs: [{ key: 'GREETING', value: Buffer.from('grüß dich', 'utf8') }],
    logPath: `${name}/0.log`,
    labels: { container: name },
    ...extra,
  };
}
