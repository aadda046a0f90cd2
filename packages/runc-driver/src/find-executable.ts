import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** Resolves `name` on PATH (or checks an explicit path); undefined when not executable. */
export async function findExecutable(name: string, path: string = process.env['PATH'] ?? ''): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter((d) => isAbsolute(d)).map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
