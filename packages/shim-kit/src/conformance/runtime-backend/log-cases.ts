import { expect } from 'vitest';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

// kubelet's CRI log line: RFC 3339 time with nanoseconds, stream, P(artial) or F(ull), the text.
const CRI_LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) (.*)$/;

/** The CRI log file kubelet reads (`kubectl logs`). */
export function logCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'logs', 'writes stdout and stderr to the CRI log file in kubelet\'s format', async () => {
    const before = Date.now();
    const { id, logPath } = await suite.start(await suite.sandbox(), { kind: 'exit', exitCode: 0, stdout: 'conformance out', stderr: 'conformance err' });
    await suite.exitOf(id);
    const after = Date.now();
    const lines = (await suite.readLog(logPath)).split('\n').filter((l) => l !== '');
    const parsed = lines.map((line) => {
      const m = CRI_LOG_LINE.exec(line);
      expect(m, `a CRI log line: ${JSON.stringify(line)}`).not.toBeNull();
      const [, time = '', stream, tag, text] = m ?? [];
      const at = Date.parse(time);
      expect(at, `time of ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(before - 1000);
      expect(at, `time of ${JSON.stringify(line)}`).toBeLessThanOrEqual(after + 1000);
      return `${stream} ${tag} ${text}`;
    });
    expect(parsed.sort()).toEqual(['stderr F conformance err', 'stdout F conformance out']);
  });
}
