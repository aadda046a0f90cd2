import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareCniVersions, listConfigFiles, loadNetworkList, parseNetworkList } from './cni-config.js';
import { isCniError } from './cni-error.js';

const bridge = { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.1.0.0/24' } };

describe('parseNetworkList', () => {
  it('reads a conflist: plugins, ipam types, declared capabilities', () => {
    const list = parseNetworkList(
      JSON.stringify({ cniVersion: '1.0.0', name: 'pods', disableCheck: true, plugins: [bridge, { type: 'portmap', capabilities: { portMappings: true, bandwidth: false } }] }),
      '/etc/cni/net.d/10-pods.conflist',
    );
    expect(list).toMatchObject({ name: 'pods', cniVersion: '1.0.0', disableCheck: true, file: '/etc/cni/net.d/10-pods.conflist' });
    expect(list.plugins.map((p) => [p.type, p.ipamType, p.capabilities])).toEqual([
      ['bridge', 'host-local', []],
      ['portmap', undefined, ['portMappings']],
    ]);
  });

  it('turns a single-plugin .conf into a list of one', () => {
    const list = parseNetworkList(JSON.stringify({ cniVersion: '0.4.0', name: 'one', ...bridge }), 'x.conf');
    expect(list.plugins).toHaveLength(1);
    expect(list.plugins[0]?.raw).toEqual(bridge);
    expect(list.source).toEqual({ cniVersion: '0.4.0', name: 'one', plugins: [bridge] });
  });

  it.each([
    ['{', 'not JSON'],
    ['[]', 'not a JSON object'],
    ['{"cniVersion":"1.0.0","name":"x"}', '"plugins" must be a list'],
    ['{"cniVersion":"1.0.0","name":"bad name","plugins":[{"type":"bridge"}]}', '"name" must be a network name'],
    ['{"name":"x","plugins":[{"type":"bridge"}]}', '"cniVersion" is missing'],
    ['{"cniVersion":"9.0.0","name":"x","plugins":[{"type":"bridge"}]}', 'unsupported "cniVersion" "9.0.0"'],
    ['{"cniVersion":"1.0.0","name":"x","plugins":[]}', '"plugins" is empty'],
    ['{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"../../bin/sh"}]}', 'plugins[0].type must be a plugin binary name'],
    ['{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"bridge","ipam":{"type":"/bin/x"}}]}', 'plugins[0].ipam.type'],
    ['{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"bridge","capabilities":[]}]}', 'plugins[0].capabilities is not an object'],
  ])('rejects %s naming the file and the problem', (text, problem) => {
    let err: unknown;
    try {
      parseNetworkList(text, '/conf/10-x.conflist');
    } catch (e) {
      err = e;
    }
    expect(isCniError(err, 'InvalidConfig')).toBe(true);
    expect(String(err)).toContain('/conf/10-x.conflist');
    expect(String(err)).toContain(problem);
  });
});

describe('loadNetworkList', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shimkit-cni-conf-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks the first .conf/.conflist/.json in lexical order, ignoring other files', async () => {
    await writeFile(join(dir, '00-notes.txt'), 'x');
    await writeFile(join(dir, '20-b.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'b', type: 'bridge' }));
    await writeFile(join(dir, '10-a.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'bridge' }] }));
    expect(await listConfigFiles(dir)).toEqual([join(dir, '10-a.conflist'), join(dir, '20-b.conf')]);
    expect((await loadNetworkList(dir)).name).toBe('a');
  });

  it('reports NoConfig for an empty or missing dir', async () => {
    await expect(loadNetworkList(dir)).rejects.toMatchObject({ reason: 'NoConfig', message: `no network config found in ${dir}` });
    await expect(loadNetworkList(join(dir, 'missing'))).rejects.toMatchObject({ reason: 'NoConfig' });
  });
});

it('compareCniVersions orders dotted versions numerically', () => {
  expect(compareCniVersions('0.3.1', '0.4.0')).toBeLessThan(0);
  expect(compareCniVersions('1.0.0', '0.4.0')).toBeGreaterThan(0);
  expect(compareCniVersions('0.10.0', '0.9.0')).toBeGreaterThan(0);
  expect(compareCniVersions('1.0.0', '1.0.0')).toBe(0);
});
