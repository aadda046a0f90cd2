import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ShimError } from '../../errors.js';

/** conmon's control messages: `<type> <height> <width>` lines on the `ctl` fifo of the bundle. */
export const CONMON_RESIZE = 1;
export const CONMON_REOPEN_LOG = 2;

/**
 * Writes one control message to the conmon of the container whose bundle is `bundle`. A conmon
 * that is gone (nobody reads the fifo) is a `FailedPrecondition`.
 */
export async function writeConmonControl(bundle: string, message: { type: number; height?: number; width?: number }, what: string): Promise<void> {
  let fifo;
  try {
    fifo = await open(join(bundle, 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ShimError(code === 'ENXIO' || code === 'ENOENT' ? 'FailedPrecondition' : 'Internal', `cannot reach the container's conmon to ${what}: ${String(e)}`, { cause: e });
  }
  try {
    await fifo.write(`${message.type} ${message.height ?? 0} ${message.width ?? 0}\n`);
  } finally {
    await fifo.close();
  }
}
