import type { PodPortMapping } from '../interfaces/pod-network.js';
import type { VolumeMount } from './volume-mount.js';

/** The network a container is on. */
export type NetworkMode = 'none' | 'host' | 'bridge';

/** What the engine records about a container (`<root>/engine/containers/<id>/container.json`). */
export interface EngineContainer {
  id: string;
  name: string;
  /** The image as the user named it, its full name and id (config digest). */
  image: string;
  imageName: string;
  imageId: string;
  /** The process's command line (entrypoint + cmd). */
  command: string[];
  createdAt: string;
  tty: boolean;
  interactive: boolean;
  /** Remove the container when it exits. */
  autoRemove: boolean;
  network: NetworkMode;
  ports: PodPortMapping[];
  volumes: VolumeMount[];
  /** The container's addresses on the bridge network. */
  ips: string[];
  netnsPath?: string;
  stopSignal: string;
  /** Set once conmon (or `runc run`) created it. */
  pid?: number;
  /** The process that reports its exit: its conmon, or the `shimkit run --rm` it runs in the foreground of. */
  conmonPid?: number;
  startedAt?: string;
  /** Set when an exit was read back from conmon's exit file (or the process was found gone). */
  exitCode?: number;
  finishedAt?: string;
}

/** A container's state now, as `ps` and `inspect` show it. */
export type ContainerStatus = 'created' | 'running' | 'exited';

/** A container with its state now. */
export interface ContainerView extends EngineContainer {
  status: ContainerStatus;
}
