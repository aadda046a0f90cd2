import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CniResultCache, type CniCacheEntry } from './cni-cache.js';
import { parseNetworkList } from './cni-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shimkit-cni-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (): CniCacheEntry => ({
  containerId: 'pod1',
  netnsPath: '/run/x/netns/pod1',
  ifName: 'eth0',
  cniArgs: 'IgnoreUnknown=1',
  capabilityArgs: { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }] },
  network: parseNetworkList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}', '/conf/10.conflist'),
  result: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] },
});

it('round-trips an entry (network re-validated), removes it, and reports a missing one as undefined', async () => {
  const cache = new CniResultCache(join(dir, 'results'));
  expect(await cache.read('pod1')).toBeUndefined();
  await cache.write(entry());
  expect(await cache.read('pod1')).toEqual(entry());
  await cache.remove('pod1');
  await cache.remove('pod1');
  expect(await cache.read('pod1')).toBeUndefined();
  expect(await readdir(join(dir, 'results'))).toEqual([]);
});

it('reports a corrupt entry as CacheFailed naming the file', async () => {
  await writeFile(join(dir, 'pod2.json'), '{"version":1,"containerId":"other"}');
  await expect(new CniResultCache(dir).read('pod2')).rejects.toMatchObject({ reason: 'CacheFailed', message: expect.stringContaining(join(dir, 'pod2.json')) });
});
