import { ShimError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A memory limit as podman reads `--memory`: a number of bytes with an optional unit
 * b, k, m or g (binary multiples; `kb`, `mb`, `gb` too). At least 6 MiB, as podman requires.
 */
export function parseMemory(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(text.trim());
  if (m === null) throw new ShimError('InvalidArgument', `invalid memory limit ${JSON.stringify(text)}: expected a number with an optional unit (b, k, m, g)`);
  const bytes = Math.floor(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (bytes < 6 * 1024 * 1024) throw new ShimError('InvalidArgument', `invalid memory limit ${JSON.stringify(text)}: the minimum is 6m`);
  return bytes;
}

/** CFS quota and period for `--cpus N` (a period of 100 ms, as podman sets). */
export function parseCpus(text: string): { quota: number; period: number } {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new ShimError('InvalidArgument', `invalid --cpus ${JSON.stringify(text)}: expected a positive number`);
  const period = 100_000;
  return { quota: Math.round(n * period), period };
}
