import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podNetworkConformance } from '../../conformance/pod-network-conformance.js';
import type { PodNetworkRequest } from '../../interfaces/pod-network.js';
import { isShimError } from '../../errors.js';
import { isCniError } from './cni-error.js';
import { CniPodNetwork } from './cni-pod-network.js';
import { inNetns, sh, TestNetwork } from './test-network.test-helper.js';

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

let conformanceNet: TestNetwork | undefined;
podNetworkConformance('CniPodNetwork', {
  create: async () => {
    conformanceNet = await TestNetwork.create();
    const confDir = await conformanceNet.confDir('conformance', { '10-pods.conflist': conformanceNet.list([conformanceNet.bridgePlugin(), { type: 'portmap', capabilities: { portMappings: true } }]) });
    return new CniPodNetwork(conformanceNet.options(confDir));
  },
  cleanup: async () => {
    const net = conformanceNet;
    conformanceNet = undefined;
    if (net === undefined) return;
    const left = await net.leftovers();
    await net.destroy();
    expect(left).toEqual([]);
  },
});

describe('CniPodNetwork with the Debian CNI plugins', () => {
  let net: TestNetwork;
  let n = 0;
  const request = (extra: Partial<PodNetworkRequest> = {}): PodNetworkRequest => {
    n++;
    return { sandboxId: `cnitest-${process.pid}-${n}`, podName: `pod-${n}`, podNamespace: 'cni-test', podUid: `uid-${n}`, portMappings: [], ...extra };
  };
  const standard = (): object[] => [net.bridgePlugin(), { type: 'portmap', capabilities: { portMappings: true } }];

  beforeAll(async () => {
    net = await TestNetwork.create();
  });
  afterAll(async () => {
    if (net === undefined) return;
    const left = await net.leftovers();
    await net.destroy();
    expect(left).toEqual([]);
    expect(await exists(`/sys/class/net/${net.bridge}`)).toBe(false);
  });

  it('attaches a pod: IP from the subnet, lo up, eth0 with the IP; two pods ping each other; teardown cleans up', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('basic', { '10-pods.conflist': net.list(standard()) })));
    expect(await network.status()).toEqual({ ready: true });
    const [ra, rb] = [request(), request()];
    const a = await network.setup(ra);
    const b = await network.setup(rb);
    expect(a.ips).toHaveLength(1);
    expect(a.ips[0]?.startsWith(net.prefix)).toBe(true);
    expect(b.ips[0]?.startsWith(net.prefix)).toBe(true);
    expect(a.netnsPath).toBe(join(net.dir, 'netns', ra.sandboxId));

    const lo = await inNetns(a.netnsPath, 'ip', '-o', 'addr', 'show', 'dev', 'lo');
    expect(lo.stdout).toContain('inet 127.0.0.1/8');
    expect((await inNetns(a.netnsPath, 'ip', '-o', 'link', 'show', 'dev', 'lo')).stdout).toMatch(/<[^>]*\bUP\b[^>]*>/);
    const eth0 = await inNetns(a.netnsPath, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0');
    expect(eth0.stdout).toContain(`inet ${a.ips[0]}/24`);
    expect((await inNetns(a.netnsPath, 'ip', 'route')).stdout).not.toContain('default');
    expect(await net.leases()).toHaveLength(2);
    expect(await net.bridgePorts()).toHaveLength(2);

    for (const [from, to] of [[a, b], [b, a]] as const) {
      const ping = await inNetns(from.netnsPath, '/bin/busybox', 'ping', '-c', '1', '-W', '3', to.ips[0] as string);
      expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    }

    await network.teardown({ ...ra, netnsPath: a.netnsPath });
    await network.teardown({ ...rb, netnsPath: b.netnsPath });
    expect(await net.leftovers()).toEqual([]);
    // A second teardown, and one for a pod never set up, succeed.
    await network.teardown({ ...ra, netnsPath: a.netnsPath });
    await network.teardown({ ...request(), netnsPath: '/nonexistent' });
    await network.close();
  });

  it('maps a hostPort with portmap and removes the rules on teardown', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('ports', { '10-pods.conflist': net.list(standard()) })));
    const hostPort = 20_000 + Math.floor(Math.random() * 20_000);
    // A host address inside the test's own subnet: nothing on the host sends to it.
    const hostIp = `${net.prefix}254`;
    const r = request({ portMappings: [{ protocol: 'tcp', containerPort: 8080, hostPort, hostIp }, { protocol: 'udp', containerPort: 53, hostPort: 0, hostIp: '' }] });
    const pod = await network.setup(r);
    const nat = (await sh('iptables-save', '-t', 'nat')).split('\n');
    const dnat = nat.filter((l) => l.includes(`--to-destination ${pod.ips[0]}:8080`));
    expect(dnat.length).toBeGreaterThan(0);
    expect(nat.some((l) => l.includes(`--dport ${hostPort}`) && l.includes(hostIp))).toBe(true);
    await network.teardown({ ...r, netnsPath: pod.netnsPath });
    expect((await sh('iptables-save', '-t', 'nat')).includes(`${pod.ips[0]}:8080`)).toBe(false);
    expect(await net.leftovers()).toEqual([]);
  });

  it('passes the CNI protocol: env, name/cniVersion, prevResult chaining, runtimeConfig only to capable plugins, cached prevResult on DEL', async () => {
    const flaky = { type: 'flaky', capabilities: { portMappings: true } };
    const network = new CniPodNetwork(net.options(await net.confDir('protocol', { '10-pods.conflist': net.list([net.bridgePlugin(), flaky, { type: 'flaky' }]) })));
    const r = request({ portMappings: [{ protocol: 'tcp', containerPort: 80, hostPort: 30080, hostIp: '' }] });
    const pod = await network.setup(r);
    const calls = await net.flakyCalls();
    expect(calls.map((c) => c.cmd)).toEqual(['ADD', 'ADD']);
    const [first, second] = calls as [(typeof calls)[0], (typeof calls)[0]];
    expect(first.env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: r.sandboxId,
      CNI_NETNS: pod.netnsPath,
      CNI_IFNAME: 'eth0',
      CNI_PATH: `${net.binDir}:/usr/lib/cni`,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=cni-test;K8S_POD_NAME=${r.podName};K8S_POD_INFRA_CONTAINER_ID=${r.sandboxId};K8S_POD_UID=${r.podUid}`,
    });
    expect(first.input).toMatchObject({ name: net.name, cniVersion: '1.0.0', runtimeConfig: { portMappings: [{ hostPort: 30080, containerPort: 80, protocol: 'tcp' }] } });
    expect(second.input.runtimeConfig).toBeUndefined();
    const bridgeResult = first.input.prevResult as { ips: { address: string }[] };
    expect(bridgeResult.ips[0]?.address).toBe(`${pod.ips[0]}/24`);
    expect(second.input.prevResult).toEqual(bridgeResult);

    await network.teardown({ ...r, netnsPath: pod.netnsPath });
    const dels = (await net.flakyCalls()).slice(2);
    expect(dels.map((c) => c.cmd)).toEqual(['DEL', 'DEL']);
    expect(dels[0]?.input.prevResult).toEqual(bridgeResult);
    expect(dels[0]?.env.CNI_NETNS).toBe(pod.netnsPath);
    expect(await net.leftovers()).toEqual([]);
  });

  it('a DEL failure is reported naming the plugin, the namespace is still removed, and a retry finishes the job', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('del-fails', { '10-pods.conflist': net.list([net.bridgePlugin(), { type: 'flaky' }]) })));
    const r = request();
    const pod = await network.setup(r);
    await net.failFlaky('DEL', { code: 11, msg: 'backend busy', details: 'try later', once: true });
    const err = await network.teardown({ ...r, netnsPath: pod.netnsPath }).catch((e: unknown) => e);
    expect(isCniError(err, 'PluginFailed')).toBe(true);
    expect(isShimError(err, 'Unavailable')).toBe(true); // CNI code 11: try again later
    expect(err).toMatchObject({ plugin: 'flaky', command: 'DEL', cniCode: 11, cniDetails: 'try later' });
    expect(String(err)).toContain('CNI plugin "flaky" failed to DEL');
    expect(String(err)).toContain('backend busy: try later');
    expect(await exists(pod.netnsPath)).toBe(false);
    expect(await net.mounts()).toEqual([]);
    expect(await net.leases()).toHaveLength(1); // bridge's DEL never ran
    await network.teardown({ ...r, netnsPath: pod.netnsPath });
    const lastDel = (await net.flakyCalls()).at(-1);
    expect(lastDel?.env.CNI_NETNS).toBe(''); // the namespace is gone: plugins clean up what they can
    expect(await net.leftovers()).toEqual([]);
  });

  it('a plugin failing mid-chain rolls back the earlier plugins (DEL) and leaves no namespace', async () => {
    const tuning = { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.no_such_sysctl_shimkit': '1' } };
    const network = new CniPodNetwork(net.options(await net.confDir('mid-chain', { '10-pods.conflist': net.list([net.bridgePlugin(), tuning, { type: 'portmap', capabilities: { portMappings: true } }]) })));
    const r = request();
    const err = await network.setup(r).catch((e: unknown) => e);
    expect(isCniError(err, 'PluginFailed')).toBe(true);
    expect(err).toMatchObject({ plugin: 'tuning', command: 'ADD' });
    expect(String(err)).toContain('CNI plugin "tuning" failed to ADD');
    expect(await exists(network.netnsPathOf(r.sandboxId))).toBe(false);
    expect(await net.leftovers()).toEqual([]);
  });

  it('an error JSON with code, msg and details becomes a typed error; stderr is used when stdout has none', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('add-fails', { '10-pods.conflist': net.list([net.bridgePlugin(), { type: 'flaky' }]) })));
    await net.failFlaky('ADD', { code: 7, msg: 'invalid network config', details: 'field x', once: true });
    const err = await network.setup(request()).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'PluginFailed', code: 'Internal', plugin: 'flaky', cniCode: 7 });
    expect(String(err)).toContain(`(network "${net.name}") (CNI error code 7): invalid network config: field x`);
    await net.failFlaky('ADD', { msg: 'plain text on stderr', stderrOnly: true, once: true });
    const err2 = await network.setup(request()).catch((e: unknown) => e);
    expect(String(err2)).toContain('plain text on stderr');
    expect(await net.leftovers()).toEqual([]);
  });

  it('a missing plugin binary: status not ready naming it, setup fails naming it and creates nothing', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('missing', { '10-pods.conflist': net.list([net.bridgePlugin(), { type: 'nosuch-shimkit' }]) })));
    const status = await network.status();
    expect(status).toMatchObject({ ready: false, reason: 'NetworkPluginNotReady' });
    expect(status.message).toContain('"nosuch-shimkit"');
    const err = await network.setup(request()).catch((e: unknown) => e);
    expect(isCniError(err, 'PluginNotFound')).toBe(true);
    expect(isShimError(err, 'FailedPrecondition')).toBe(true);
    expect(String(err)).toContain('CNI plugin "nosuch-shimkit"');
    expect(await readdir(join(net.dir, 'netns')).catch(() => [])).toEqual([]);
  });

  it('a bad or missing conflist: clear errors naming the file or dir', async () => {
    const badDir = await net.confDir('bad', { '05-broken.conflist': '{"cniVersion": "1.0.0", "name": ', '10-ok.conflist': net.list(standard()) });
    const bad = new CniPodNetwork(net.options(badDir));
    const err = await bad.setup(request()).catch((e: unknown) => e);
    expect(isCniError(err, 'InvalidConfig')).toBe(true);
    expect(String(err)).toContain(join(badDir, '05-broken.conflist'));
    const status = await bad.status();
    expect(status).toMatchObject({ ready: false, reason: 'NetworkPluginNotReady' });
    expect(status.message).toContain('05-broken.conflist');

    const emptyDir = await net.confDir('empty', { 'README.txt': 'not a config' });
    const empty = new CniPodNetwork(net.options(emptyDir));
    expect((await empty.status()).message).toContain(`no network config found in ${emptyDir}`);
    expect(isCniError(await empty.setup(request()).catch((e: unknown) => e), 'NoConfig')).toBe(true);
    expect(await readdir(join(net.dir, 'netns')).catch(() => [])).toEqual([]);
  });

  it('refuses a second setup of the same pod, bad ids, and calls after close; honours an aborted signal', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('misc', { '10-pods.conflist': net.list(standard()) })));
    const r = request();
    const pod = await network.setup(r);
    expect(isShimError(await network.setup(r).catch((e: unknown) => e), 'AlreadyExists')).toBe(true);
    expect(isShimError(await network.setup({ ...request(), sandboxId: '../escape' }).catch((e: unknown) => e), 'InvalidArgument')).toBe(true);
    const aborted = AbortSignal.abort();
    await expect(network.setup({ ...request(), signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    await network.teardown({ ...r, netnsPath: pod.netnsPath });
    await network.close();
    expect(isShimError(await network.setup(request()).catch((e: unknown) => e), 'Unavailable')).toBe(true);
    expect(await net.leftovers()).toEqual([]);
  });

  it('a new instance (a restarted shim) tears down with the cached ADD config even after the conf dir changed', async () => {
    const confDir = await net.confDir('restart', { '10-pods.conflist': net.list(standard()) });
    const first = new CniPodNetwork(net.options(confDir));
    const r = request();
    const pod = await first.setup(r);
    await first.close();
    await writeFile(join(confDir, '10-pods.conflist'), 'garbage');
    const second = new CniPodNetwork(net.options(confDir));
    expect((await second.status()).ready).toBe(false);
    await second.teardown({ ...r, netnsPath: pod.netnsPath });
    expect(await net.leftovers()).toEqual([]);
  });

  it('a corrupt result cache: teardown DELs with the current config, releases the lease and drops the file', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('corrupt', { '10-pods.conflist': net.list(standard()) })));
    const r = request();
    const pod = await network.setup(r);
    await writeFile(join(net.dir, 'cache', `${r.sandboxId}.json`), '{ truncated');
    await network.teardown({ ...r, netnsPath: pod.netnsPath });
    expect(await net.leftovers()).toEqual([]);
  });

  it('an abort during ADD kills the plugin, rolls back and leaves nothing', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('abort', { '10-pods.conflist': net.list([net.bridgePlugin(), { type: 'flaky' }]) })));
    await net.failFlaky('ADD', { msg: 'never printed', hangMs: 20_000, once: true });
    const controller = new AbortController();
    const r = request({ signal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    await expect(network.setup(r)).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await exists(network.netnsPathOf(r.sandboxId))).toBe(false);
    expect(await net.leftovers()).toEqual([]);
  });

  it('kills a plugin that outlives pluginTimeoutMs and rolls back', async () => {
    const confDir = await net.confDir('timeout', { '10-pods.conflist': net.list([net.bridgePlugin(), { type: 'flaky' }]) });
    const network = new CniPodNetwork({ ...net.options(confDir), pluginTimeoutMs: 300 });
    await net.failFlaky('ADD', { msg: 'never printed', hangMs: 20_000, once: true });
    const err = await network.setup(request()).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'PluginFailed', plugin: 'flaky', command: 'ADD' });
    expect(String(err)).toContain('killed by SIGKILL');
    expect(await net.leftovers()).toEqual([]);
  });

  it('check() passes for an attached pod and names the plugin when what it made is gone', async () => {
    const network = new CniPodNetwork(net.options(await net.confDir('check', { '10-pods.conflist': net.list(standard()) })));
    const r = request();
    await expect(network.check(r)).rejects.toMatchObject({ code: 'NotFound' });
    const pod = await network.setup(r);
    await network.check(r);
    await sh('nsenter', `--net=${pod.netnsPath}`, 'ip', 'link', 'del', 'eth0');
    const err = await network.check(r).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'PluginFailed', plugin: 'bridge', command: 'CHECK' });
    await network.teardown({ ...r, netnsPath: pod.netnsPath });
    expect(await net.leftovers()).toEqual([]);
  });
});

it('refuses an interface name Linux would not take', () => {
  for (const ifName of ['', 'a/b', 'eth:0', 'sixteen-chars-xx', '..']) {
    expect(() => new CniPodNetwork({ netnsDir: '/x', cacheDir: '/y', ifName })).toThrow(/not a valid Linux interface name/);
  }
});
