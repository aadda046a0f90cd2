import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnvArg, readEnvFile } from './env-file.js';

describe('environment flags', () => {
  it('takes K=V, and a bare K from the given environment', () => {
    expect(parseEnvArg('A=1=2')).toBe('A=1=2');
    expect(parseEnvArg('HOME_X', { HOME_X: '/h' })).toBe('HOME_X=/h');
    expect(parseEnvArg('UNSET_X', {})).toBeUndefined();
    expect(() => parseEnvArg('=1')).toThrow('"" is not a variable name');
    expect(() => parseEnvArg('1A=x')).toThrow('"1A" is not a variable name');
  });

  it('reads env files: comments and blank lines skipped, a bad line named by number', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'run-env-'));
    try {
      await writeFile(join(dir, 'ok'), '# c\nA=1\r\n\n  B=two words\nC\n');
      expect(await readEnvFile(join(dir, 'ok'), { C: 'from env' })).toEqual(['A=1', 'B=two words', 'C=from env']);
      await writeFile(join(dir, 'bad'), 'A=1\n-x=2\n');
      await expect(readEnvFile(join(dir, 'bad'))).rejects.toThrow(`${join(dir, 'bad')}:2: invalid environment variable "-x=2"`);
      await expect(readEnvFile(join(dir, 'missing'))).rejects.toThrow(`cannot read env file ${join(dir, 'missing')}: ENOENT`);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
