import { fileURLToPath } from 'node:url';
import { HostHelper } from '@shimkit/host-helper';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from './run-command.js';

const helper = new HostHelper();
afterAll(() => helper.close());
const via = { helper };
const ECHO_PLUGIN = fileURLToPath(new URL('./echo-plugin.fixture.sh', import.meta.url));

describe('runCommand', () => {
  it('returns the exit code and output, with stdin and the environment given', async () => {
    const r = await runCommand(ECHO_PLUGIN, [], { ...via, input: '{"cniVersion":"1.0.0"}', env: { ...process.env, CNI_COMMAND: 'ADD' } });
    expect(r).toEqual({ code: 2, signal: null, stdout: '{"cniVersion":"1.0.0"}', stderr: 'ADD\n' });
  });

  it('keeps maxOutputBytes of each stream', async () => {
    const r = await runCommand(ECHO_PLUGIN, [], { ...via, input: '0123456789', env: { CNI_COMMAND: 'abcdef' }, maxOutputBytes: 4 });
    expect([r.stdout, r.stderr]).toEqual(['0123', 'abcd']);
  });

  it('SIGKILLs a program past its timeout, and rejects with an AbortError when the caller aborts', async () => {
    expect(await runCommand('sleep', ['5'], { ...via, timeoutMs: 100 })).toMatchObject({ code: null, signal: 'SIGKILL' });
    const controller = new AbortController();
    const running = runCommand('sleep', ['5'], { ...via, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('pod removed')), 50);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects when the program cannot be started', async () => {
    await expect(runCommand('/nonexistent/cni-plugin', [], via)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
