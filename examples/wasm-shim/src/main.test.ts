import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

it('refuses a WASM_SHIM_WARM_RUNNERS that is not a number, naming it, before it makes anything', async () => {
  const dir = `/tmp/wasm-shim-main-${process.pid}`;
  const failed = await run(process.execPath, ['--import', 'tsx', MAIN, join(dir, 'cri.sock'), join(dir, 'root'), join(dir, 'state')], {
    env: { ...process.env, WASM_SHIM_WARM_RUNNERS: 'lots' },
  }).then(() => undefined, (e: { code: number; stderr: string }) => e);
  expect(failed?.code).toBe(2);
  expect(failed?.stderr).toContain('WASM_SHIM_WARM_RUNNERS must be a number of runners, not "lots"');
  expect(existsSync(dir)).toBe(false);
});
