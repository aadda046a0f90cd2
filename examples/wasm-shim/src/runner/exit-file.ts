import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ExitRecord } from './runner-config.js';

/** Writes `exit.json` atomically (a reader sees all of it or nothing). */
export function writeExitFile(path: string, record: ExitRecord): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(record));
  renameSync(temp, path);
}

/** The exit record, or undefined while there is none. */
export function readExitFile(path: string): ExitRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as ExitRecord;
}
