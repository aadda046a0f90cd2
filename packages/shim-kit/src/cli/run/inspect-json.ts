import type { ContainerView } from '../../engine/engine-container.js';

/** A container as `inspect` prints it: podman's field names, for the fields the engine has. */
export function inspectJson(c: ContainerView): Record<string, unknown> {
  return {
    Id: c.id,
    Name: c.name,
    Created: c.createdAt,
    Path: c.command[0] ?? '',
    Args: c.command.slice(1),
    State: {
      Status: c.status,
      Running: c.status === 'running',
      Pid: c.status === 'running' ? (c.pid ?? 0) : 0,
      ConmonPid: c.status === 'running' ? (c.conmonPid ?? 0) : 0,
      ExitCode: c.exitCode ?? 0,
      StartedAt: c.startedAt ?? '',
      FinishedAt: c.finishedAt ?? '',
    },
    Image: c.imageId.replace(/^sha256:/, ''),
    ImageName: c.imageName,
    Config: { Tty: c.tty, OpenStdin: c.interactive, Cmd: c.command, StopSignal: c.stopSignal },
    HostConfig: {
      AutoRemove: c.autoRemove,
      NetworkMode: c.network,
      Binds: c.volumes.map((v) => `${v.source}:${v.destination}${v.readonly ? ':ro' : ''}`),
      PortBindings: Object.fromEntries(c.ports.map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]])),
    },
    Mounts: c.volumes.map((v) => ({ Type: 'bind', Source: v.source, Destination: v.destination, RW: !v.readonly })),
    NetworkSettings: { IPAddress: (c.ips[0] ?? '').replace(/\/\d+$/, ''), Ports: Object.fromEntries(c.ports.map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]])) },
  };
}
