import { readFile } from 'node:fs/promises';
import { ShimError } from '../errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * One `-e` value: `K=V`, or a bare `K` taking the value from `env` (left out when unset there).
 * @throws ShimError `InvalidArgument` for an empty or invalid name.
 */
export function parseEnvArg(text: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (!NAME.test(name)) throw new ShimError('InvalidArgument', `invalid environment variable ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a variable name`);
  if (eq >= 0) return text;
  const value = env[name];
  return value === undefined ? undefined : `${name}=${value}`;
}

/** The variables of an `--env-file`: one `K=V` (or bare `K`) a line; blank lines and `#` comments skipped. */
export async function readEnvFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ShimError('InvalidArgument', `cannot read env file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  const out: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    try {
      const v = parseEnvArg(line, env);
      if (v !== undefined) out.push(v);
    } catch (e) {
      throw new ShimError('InvalidArgument', `${path}:${i + 1}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}
