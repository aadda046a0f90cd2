import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetworkList } from '../modules/cni/cni-config.js';
import { DEFAULT_NETWORK_FILE, ensureDefaultNetwork } from './default-network.js';

describe('ensureDefaultNetwork', () => {
  it('writes a valid bridge + portmap conflist on first use, and leaves a config that is there alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'run-net-'));
    try {
      await ensureDefaultNetwork(join(dir, 'first'));
      const text = await readFile(join(dir, 'first', DEFAULT_NETWORK_FILE), 'utf8');
      const list = parseNetworkList(text, DEFAULT_NETWORK_FILE);
      expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
      expect(list.plugins[0]?.raw).toMatchObject({ bridge: 'shimkit0', ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.89.0.0/24' }]] } });
      expect(list.plugins[1]?.capabilities).toEqual(['portMappings']);

      await writeFile(join(dir, 'own.conflist'), '{}');
      await ensureDefaultNetwork(dir);
      expect(await readdir(dir)).toEqual(['first', 'own.conflist']);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
