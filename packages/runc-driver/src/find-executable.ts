import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Resolves `name` on PATH (or checks an explicit path); undefined when not executable. The
 * checks are synchronous: one access(2) per PATH entry takes microseconds, while awaiting each
 * in turn would be a thread-pool round trip per entry on every container start.
 */
export async function findExecutable(name: string, path: string = process.env['PATH'] ?? ''): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter((d) => isAbsolute(d)).map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
