import { describe, expect, it } from 'vitest';
import { capabilityArgs, cniArgs } from './cni-args.js';
import { parseNetworkList } from './cni-config.js';
import { pluginInput } from './cni-plugin-input.js';

const list = (cniVersion: string) =>
  parseNetworkList(
    JSON.stringify({
      cniVersion,
      name: 'pods',
      plugins: [
        { type: 'bridge', name: 'ignored', cniVersion: '0.1.0', prevResult: { stale: true } },
        { type: 'portmap', capabilities: { portMappings: true }, runtimeConfig: { other: 1 } },
      ],
    }),
    'f.conflist',
  );

describe('pluginInput', () => {
  it("sets the list's name and cniVersion, drops a written prevResult, adds the given one", () => {
    const l = list('1.0.0');
    const input = pluginInput(l, l.plugins[0]!, { prevResult: { ips: [] }, capabilityArgs: { portMappings: [{ hostPort: 1 }] } });
    expect(input).toEqual({ type: 'bridge', name: 'pods', cniVersion: '1.0.0', prevResult: { ips: [] } });
  });

  it('passes capability args only to plugins declaring them, merged into runtimeConfig', () => {
    const l = list('1.0.0');
    const pm = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    expect(pluginInput(l, l.plugins[1]!, { capabilityArgs: { portMappings: pm, bandwidth: {} } }).runtimeConfig).toEqual({ other: 1, portMappings: pm });
    expect(pluginInput(l, l.plugins[1]!, { capabilityArgs: {} }).runtimeConfig).toEqual({ other: 1 });
  });

  it('gives no prevResult before CNI 0.3.0 (no chaining then)', () => {
    const l = list('0.2.0');
    expect(pluginInput(l, l.plugins[1]!, { prevResult: { ips: [] }, capabilityArgs: {} }).prevResult).toBeUndefined();
  });
});

describe('cniArgs and capabilityArgs', () => {
  it('builds CNI_ARGS with the kubelet keys and no separators inside values', () => {
    expect(cniArgs({ sandboxId: 'abc', podName: 'web;x=1', podNamespace: 'default', podUid: 'u 1' })).toBe(
      'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=webx1;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u1',
    );
  });

  it('keeps mappings with a hostPort, hostIP only when set', () => {
    expect(
      capabilityArgs([
        { protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '' },
        { protocol: 'udp', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
        { protocol: 'tcp', containerPort: 9000, hostPort: 0, hostIp: '' },
      ]),
    ).toEqual({
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
      ],
    });
    expect(capabilityArgs([])).toEqual({});
  });
});
