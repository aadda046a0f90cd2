import { ContainerState, type CriClient } from '@shimkit/cri-types';

/** A one-shot job, the way a kubelet-like agent would run it. */
export interface JobSpec {
  name: string;
  namespace: string;
  image: string;
  command: string[];
  /** Extra attempts after a failed one (restartPolicy: OnFailure with a limit). */
  retries: number;
}

/** How the job ended. */
export interface JobResult {
  attempts: number;
  exitCode: number;
  reason: string;
}

async function waitForExit(cri: CriClient, containerId: string, signal?: AbortSignal): Promise<{ exitCode: number; reason: string }> {
  for (let i = 0; i < 600; i++) {
    const status = (await cri.runtime.containerStatus({ containerId }, signal === undefined ? {} : { signal })).status;
    if (status?.state === ContainerState.CONTAINER_EXITED) return { exitCode: status.exitCode, reason: status.reason };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`container ${containerId} did not exit within 30 s`);
}

/**
 * Runs a job in its own pod: pulls the image if missing, starts the container, restarts it
 * (next attempt number) on failure up to `retries` times, and always removes the pod.
 */
export async function runJob(cri: CriClient, job: JobSpec, signal?: AbortSignal): Promise<JobResult> {
  const options = signal === undefined ? {} : { signal };
  if ((await cri.image.imageStatus({ image: { image: job.image } }, options)).image === undefined) {
    await cri.image.pullImage({ image: { image: job.image } }, options);
  }
  const podConfig = {
    metadata: { name: job.name, namespace: job.namespace, uid: `${job.namespace}-${job.name}`, attempt: 0 },
    hostname: job.name,
    logDirectory: `/var/log/pods/${job.namespace}_${job.name}`,
    labels: { job: job.name },
  };
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig }, options);
  try {
    let last = { exitCode: -1, reason: '' };
    for (let attempt = 0; attempt <= job.retries; attempt++) {
      const config = { metadata: { name: job.name, attempt }, image: { image: job.image }, command: job.command, logPath: `${job.name}/${attempt}.log` };
      const { containerId } = await cri.runtime.createContainer({ podSandboxId, config, sandboxConfig: podConfig }, options);
      await cri.runtime.startContainer({ containerId }, options);
      last = await waitForExit(cri, containerId, signal);
      if (last.exitCode === 0) return { attempts: attempt + 1, ...last };
    }
    return { attempts: job.retries + 1, ...last };
  } finally {
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
  }
}
