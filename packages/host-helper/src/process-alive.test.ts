import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from './process-alive.js';

describe('isProcessAlive', () => {
  it('is true for this process and for init (another user may own it: EPERM still counts)', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(1)).toBe(true);
  });

  it('is false once a child has exited and been reaped', async () => {
    const child = spawn('true');
    const pid = child.pid as number;
    await once(child, 'exit');
    // the exit event comes after the wait: the pid is free now
    expect(isProcessAlive(pid)).toBe(false);
  });
});
