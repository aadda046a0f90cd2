import { readFile } from 'node:fs/promises';
import { ShimError } from '../errors.js';

/**
 * Reads a JSON file a user named (a config file, a seccomp profile): a file that cannot be read
 * or parsed is InvalidArgument, the message naming `what` and the path.
 */
export async function readJsonInput(path: string, what: string, signal?: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
  } catch (e) {
    throw new ShimError('InvalidArgument', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ShimError('InvalidArgument', `${what} ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
