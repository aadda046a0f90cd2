import { NamespaceMode, type PodSandboxConfig, type UserNamespace } from '@shimkit/cri-types';
import { RuntimeSpecBuilder } from '@shimkit/oci-spec';
import { describe, expect, it } from 'vitest';
import { joinPodUserNamespace, podUserNamespace } from './user-namespace.js';

const pod = (userns: UserNamespace | undefined, network = NamespaceMode.POD): PodSandboxConfig =>
  ({ linux: { securityContext: { namespaceOptions: { network, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD, targetId: '', usernsOptions: userns } } } }) as PodSandboxConfig;
const mapping = [{ containerId: 0, hostId: 100000, length: 65536 }];

describe('podUserNamespace', () => {
  it('is undefined for the host user namespace (NODE, or no options)', () => {
    expect(podUserNamespace(pod(undefined))).toBeUndefined();
    expect(podUserNamespace(pod({ mode: NamespaceMode.NODE, uids: [], gids: [] }))).toBeUndefined();
  });

  it('gives the mappings of a pod with its own', () => {
    expect(podUserNamespace(pod({ mode: NamespaceMode.POD, uids: mapping, gids: mapping }))).toEqual({ uidMappings: mapping, gidMappings: mapping });
  });

  it.each([
    ['several mappings', { mode: NamespaceMode.POD, uids: [...mapping, { containerId: 65536, hostId: 0, length: 1 }], gids: mapping }, 'exactly one uids mapping'],
    ['no gid mapping', { mode: NamespaceMode.POD, uids: mapping, gids: [] }, 'exactly one gids mapping is supported, got 0'],
    ['container id 0 unmapped', { mode: NamespaceMode.POD, uids: [{ containerId: 1, hostId: 1000, length: 10 }], gids: mapping }, 'must map container id 0'],
    ['an empty range', { mode: NamespaceMode.POD, uids: [{ containerId: 0, hostId: 1000, length: 0 }], gids: mapping }, 'length 0'],
    ['mode CONTAINER', { mode: NamespaceMode.CONTAINER, uids: [], gids: [] }, 'mode CONTAINER is not supported'],
    ['mode TARGET', { mode: NamespaceMode.TARGET, uids: [], gids: [] }, 'mode TARGET is not supported'],
  ])('refuses %s with InvalidArgument', (_what, userns, message) => {
    expect(() => podUserNamespace(pod(userns))).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringContaining(message) }));
  });

  it('refuses a host-network pod with its own user namespace', () => {
    expect(() => podUserNamespace(pod({ mode: NamespaceMode.POD, uids: mapping, gids: mapping }, NamespaceMode.NODE))).toThrow(/host network/);
  });
});

describe('joinPodUserNamespace', () => {
  it('joins the pinned namespace with the mappings in the runtime spec\'s terms', () => {
    const spec = joinPodUserNamespace(new RuntimeSpecBuilder(), '/run/pod/user', { uidMappings: mapping, gidMappings: mapping }).build({ validate: true });
    expect(spec.linux?.namespaces).toContainEqual({ type: 'user', path: '/run/pod/user' });
    expect(spec.linux?.uidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
  });
});
