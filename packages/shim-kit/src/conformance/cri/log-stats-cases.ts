import { expect } from 'vitest';
import { criCase, readContainerLog, type CriSuite } from './cri-suite-context.js';

// kubelet's CRI log line: RFC 3339 time with nanoseconds, stream, P(artial) or F(ull), the text.
const CRI_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) (.*)$/;

/** The CRI log file (under the pod's log directory) and ContainerStats / ListContainerStats. */
export function logStatsCases(suite: CriSuite): void {
  criCase(suite, 'container-logs', 'writes stdout and stderr to <log_directory>/<log_path> in kubelet\'s format; status names the file', async () => {
    const pod = await suite.runPod();
    const id = await suite.startContainer(pod, suite.workloads.logs);
    const status = await suite.exited(id);
    const config = (await suite.cri().runtime.containerStatus({ containerId: id })).status;
    expect(config?.logPath, 'ContainerStatus.log_path is the full path').toMatch(new RegExp(`^${pod.config.logDirectory}/`));
    const logPath = config?.logPath.slice(`${pod.config.logDirectory}/`.length) ?? '';
    const lines = (await readContainerLog(pod, logPath)).split('\n').filter((l) => l !== '');
    const parsed = lines.map((line) => {
      const m = CRI_LOG_LINE.exec(line);
      expect(m, `a CRI log line: ${JSON.stringify(line)}`).not.toBeNull();
      return m?.slice(1).join(' ');
    });
    expect(parsed.filter((l) => l?.startsWith('stdout'))).toEqual(['stdout F first out', 'stdout P unterminated']);
    expect(parsed.filter((l) => l?.startsWith('stderr'))).toEqual(['stderr F an err']);
    expect(status.exitCode).toBe(0);
  });

  criCase(suite, 'container-stats', 'ContainerStats and ListContainerStats report CPU and memory of a running container', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    const id = await suite.startContainer(pod, suite.abilities.exec ? suite.workloads.sleep : suite.workloads.spin);
    if (suite.abilities.exec) await runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'], timeout: 60n });
    else await new Promise((resolve) => setTimeout(resolve, 300));
    const { stats } = await runtime.containerStats({ containerId: id });
    expect(stats?.attributes?.id).toBe(id);
    expect(stats?.attributes?.metadata?.name).toMatch(/^ctr-/);
    expect(stats?.cpu?.timestamp, 'cpu timestamp').toBeGreaterThan(0n);
    expect(stats?.cpu?.usageCoreNanoSeconds?.value, 'CPU time spent').toBeGreaterThan(0n);
    expect(stats?.memory?.workingSetBytes?.value, 'memory working set').toBeGreaterThan(0n);
    const listed = await runtime.listContainerStats({ filter: { id } });
    expect(listed.stats.map((s) => s.attributes?.id)).toEqual([id]);
    const byPod = await runtime.listContainerStats({ filter: { podSandboxId: pod.id } });
    expect(byPod.stats.map((s) => s.attributes?.id)).toEqual([id]);
  });
}
