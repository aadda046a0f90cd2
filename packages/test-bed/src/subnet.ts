import { randomInt } from 'node:crypto';
import { run } from './exec.js';

/**
 * Picks a random private /24 in 10.200.0.0 - 10.249.255.0 that no address or
 * route on the host already uses.
 */
export async function pickSubnet(): Promise<string> {
  const used = new Set<string>();
  for (const args of [['-4', '-o', 'addr', 'show'], ['-4', 'route', 'show', 'table', 'all']]) {
    const { stdout } = await run('ip', args, { allowFailure: true, timeoutMs: 10_000 });
    for (const m of stdout.matchAll(/\b10\.(\d+)\.(\d+)\./g)) used.add(`${m[1]}.${m[2]}`);
  }
  for (let i = 0; i < 100; i++) {
    const key = `${randomInt(200, 250)}.${randomInt(0, 256)}`;
    if (!used.has(key)) return `10.${key}.0/24`;
  }
  throw new Error('pickSubnet: no free 10.x.y.0/24 found');
}
