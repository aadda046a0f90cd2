import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { HostHelper } from './host-helper.js';

const dir = mkdtempSync(join(tmpdir(), `helper-datagrams-${process.pid}-`));
const helper = new HostHelper();
afterAll(async () => {
  await helper.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HostHelper unix datagrams (sd_notify)', () => {
  it('sends datagrams whole and in order, credited to this process, to a path and to an abstract socket', async () => {
    for (const path of [join(dir, 'notify.sock'), `@shimkit-test-${process.pid}-${Date.now()}`]) {
      await using receiver = await helper.receiveDatagrams(path);
      await helper.sendDatagram(path, 'READY=1\nSTATUS=serving');
      await helper.sendDatagram(path, Buffer.alloc(20_000, 'x'));
      expect(await receiver.next()).toEqual({ pid: process.pid, data: Buffer.from('READY=1\nSTATUS=serving') });
      const big = await receiver.next();
      expect(big?.data.length).toBe(20_000);
    }
    expect(existsSync(join(dir, 'notify.sock'))).toBe(false);
  });

  it('receives what systemd-notify sends, as systemd would', async () => {
    await using receiver = await helper.receiveDatagrams(join(dir, 'systemd.sock'));
    const notify = promisify(execFile)('systemd-notify', ['--ready', '--status=from systemd-notify'], { env: { ...process.env, NOTIFY_SOCKET: receiver.path } });
    const message = await receiver.next();
    await notify;
    expect(message?.data.toString()).toMatch(/READY=1/);
    expect(message?.data.toString()).toMatch(/STATUS=from systemd-notify/);
    // systemd-notify speaks for its parent by default, as the helper speaks for us
    expect(message?.pid).toBe(process.pid);
  });

  it('names the socket when nothing listens there, and refuses a path too long for a socket address', async () => {
    await expect(helper.sendDatagram(join(dir, 'nobody.sock'), 'READY=1')).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`send to ${join(dir, 'nobody.sock')}`) });
    await expect(helper.sendDatagram(`/${'x'.repeat(200)}`, 'READY=1')).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    await using first = await helper.receiveDatagrams(join(dir, 'taken.sock'));
    await expect(helper.receiveDatagrams(first.path)).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining(`bind ${first.path}`) });
  });
});
