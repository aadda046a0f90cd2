import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { isSameLiveProcess, processIdentity } from './process-identity.js';

it('tells a live process from one that ended, and from another one with its pid', async () => {
  const child = spawn('sleep', ['30']);
  await once(child, 'spawn');
  const pid = child.pid!;
  const me = processIdentity(pid)!;
  expect(me.state).toMatch(/^[RSD]$/);
  expect(isSameLiveProcess(pid, me.startTime)).toBe(true);
  expect(isSameLiveProcess(pid, `${me.startTime}1`)).toBe(false);
  child.kill('SIGKILL');
  await once(child, 'exit');
  expect(isSameLiveProcess(pid, me.startTime)).toBe(false);
  expect(processIdentity(2 ** 22 + 1)).toBeUndefined();
});
