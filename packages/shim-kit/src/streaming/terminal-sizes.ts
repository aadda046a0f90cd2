import type { Readable } from 'node:stream';
import type { TerminalSize } from '../interfaces/runtime-backend.js';

// A size message is a small JSON object; anything longer is not one.
const MAX_PENDING = 4096;

/**
 * Calls `onSize` for every terminal size on a resize stream: JSON objects `{"Width":w,"Height":h}`
 * one after another, as kubectl's client encodes them, split across chunks at any byte.
 * A stream that carries something else is destroyed.
 */
export function readTerminalSizes(resize: Readable, onSize: (size: TerminalSize) => void): void {
  let pending = '';
  resize.setEncoding('utf8');
  resize.on('error', () => undefined);
  resize.on('data', (chunk: string) => {
    pending += chunk;
    for (;;) {
      const start = pending.indexOf('{');
      const end = pending.indexOf('}', start);
      if (start < 0 || end < 0) break;
      const size = parseSize(pending.slice(start, end + 1));
      pending = pending.slice(end + 1);
      if (size === undefined) return void resize.destroy(new Error('resize stream carries something other than terminal sizes'));
      onSize(size);
    }
    if (pending.length > MAX_PENDING) resize.destroy(new Error('resize message too long'));
  });
}

function parseSize(text: string): TerminalSize | undefined {
  try {
    const { Width: width, Height: height } = JSON.parse(text) as { Width?: unknown; Height?: unknown };
    if (!isDimension(width) || !isDimension(height)) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

function isDimension(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
}
