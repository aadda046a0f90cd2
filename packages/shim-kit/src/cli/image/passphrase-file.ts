import { readFile } from 'node:fs/promises';
import { CliUsageError } from './cli-failure.js';

/** The first line of a passphrase file (as skopeo's --sign-passphrase-file reads it), without its newline. */
export async function readPassphraseFile(path: string, flag: string): Promise<Buffer> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (e) {
    throw new CliUsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
  const newline = text.indexOf(0x0a);
  const line = newline < 0 ? text : text.subarray(0, newline);
  return line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
}
