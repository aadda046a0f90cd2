import type { HostHelper } from '@shimkit/host-helper';
import { ShimError } from '../errors.js';

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/**
 * The listening socket systemd passed this process (socket activation), as sd_listen_fds reads
 * it: `LISTEN_FDS` fds from 3 on, when `LISTEN_PID` is this process. serve takes exactly one.
 * The variables are removed so that the programs serve starts do not take them for theirs.
 */
export function takeListenFd(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const { LISTEN_PID, LISTEN_FDS } = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (LISTEN_PID === undefined || LISTEN_FDS === undefined || Number(LISTEN_PID) !== pid) return undefined;
  const count = Number(LISTEN_FDS);
  if (count === 0) return undefined;
  if (count !== 1) throw new ShimError('InvalidArgument', `socket activation: serve listens on one socket, systemd passed LISTEN_FDS=${LISTEN_FDS}`);
  return LISTEN_FDS_START;
}

/**
 * systemd's readiness protocol: `send` writes a message (`READY=1`, `STOPPING=1`) to
 * `$NOTIFY_SOCKET` when systemd gave one (through the host helper: Node has no unix datagram
 * sockets), and does nothing otherwise. The variable is removed, as sd_notify does, so that the
 * programs serve starts do not write there.
 */
export function systemdNotifier(helper: HostHelper, env: NodeJS.ProcessEnv = process.env): { send(message: string): Promise<void> } {
  const socket = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  return { send: (message) => (socket === undefined || socket === '' ? Promise.resolve() : helper.sendDatagram(socket, message)) };
}
