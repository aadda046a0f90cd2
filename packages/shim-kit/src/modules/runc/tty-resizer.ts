import { execFile, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { TerminalSize } from '../../interfaces/runtime-backend.js';

const FIND_ATTEMPTS = 50;
const FIND_INTERVAL_MS = 20;

/**
 * Resizes the terminal `script` (the child) opened for its command: `stty` sets the size on that
 * terminal, whose foreground process (runc) gets SIGWINCH and resizes the container's terminal to
 * match. The terminal is found through the command's stdin, once it runs. Sizes are applied in
 * order; only the newest waiting one is kept.
 */
export function ttyResizer(child: ChildProcess): (size: TerminalSize) => void {
  let terminal: Promise<string | undefined> | undefined;
  let next: TerminalSize | undefined;
  let busy = false;
  const apply = async (): Promise<void> => {
    busy = true;
    try {
      terminal ??= findTerminal(child);
      const path = await terminal;
      for (let size = next; size !== undefined && path !== undefined; size = next) {
        next = undefined;
        await new Promise<void>((resolve) => {
          execFile('stty', ['-F', path, 'rows', String(size.height), 'cols', String(size.width)], () => resolve());
        });
      }
    } finally {
      busy = false;
    }
  };
  return (size) => {
    next = size;
    if (!busy) void apply();
  };
}

async function findTerminal(child: ChildProcess): Promise<string | undefined> {
  for (let attempt = 0; attempt < FIND_ATTEMPTS && child.exitCode === null && child.signalCode === null; attempt++) {
    const pid = child.pid;
    const children = pid === undefined ? '' : await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    const first = children.trim().split(' ')[0];
    if (first) {
      const stdin = await readlink(`/proc/${first}/fd/0`).catch(() => '');
      if (stdin.startsWith('/dev/pts/')) return stdin;
    }
    await new Promise((r) => setTimeout(r, FIND_INTERVAL_MS));
  }
  return undefined;
}
