import { NamespaceMode, type CriClient } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { forwardOnce, spdySession, upgradeStatus } from '../src/streaming/spdy-exec-client.test-helper.js';
import { listenLocal } from '../src/streaming/spdy-test-client.test-helper.js';
import { codeOf, containerConfig, podConfig, useFakeShim, type FakeShimWorld } from './cri-fixtures.js';

/** A TCP server on 127.0.0.1 answering `echo:<what it read>` once the client half-closes. */
function echoServer(): ReturnType<typeof listenLocal> {
  return listenLocal((socket) => {
    const parts: Buffer[] = [];
    socket.on('data', (b: Buffer) => parts.push(b));
    socket.on('end', () => socket.end(`echo:${Buffer.concat(parts).toString()}`));
  });
}

describe('PortForward over the streaming server (fakes)', () => {
  let cri: CriClient;
  let world: FakeShimWorld;
  useFakeShim((w) => ({ cri } = world = w));

  it('relays connections of a host-network pod to 127.0.0.1:<port>, several per session, and serves each URL once', async () => {
    const echo = await echoServer();
    const { port } = echo;
    try {
      const config = podConfig('pf-host', { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } });
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
      const { url } = await cri.runtime.portForward({ podSandboxId, port: [port] });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/portforward\/\S+$/);
      const client = await spdySession(url, 'portforward.k8s.io');
      try {
        expect(await forwardOnce(client, { port, requestId: 0, firstStreamId: 1, payload: 'one' })).toEqual({ data: 'echo:one', error: '' });
        expect(await forwardOnce(client, { port, requestId: 1, firstStreamId: 5, payload: 'two' })).toEqual({ data: 'echo:two', error: '' });
        const free = await listenLocal(() => undefined);
        await free.close();
        const closed = free.port;
        const refused = await forwardOnce(client, { port: closed, requestId: 2, firstStreamId: 9, payload: 'x' });
        expect(refused.data).toBe('');
        expect(refused.error).toMatch(new RegExp(`error forwarding port ${closed} to pod ${podSandboxId}: .*ECONNREFUSED`));
        const bad = await forwardOnce(client, { port: 0, requestId: 3, firstStreamId: 13, payload: 'x' });
        expect(bad.error).toMatch(/invalid port "0"/);
      } finally {
        client.close();
      }
      expect(await upgradeStatus(url, { 'X-Stream-Protocol-Version': 'portforward.k8s.io' })).toBe(404);
      // only portforward.k8s.io is offered for a port-forward URL
      expect(await upgradeStatus((await cri.runtime.portForward({ podSandboxId })).url)).toBe(403);
    } finally {
      await echo.close();
    }
  });

  it('writes why on the error stream when the relay cannot enter the pod\'s netns', async () => {
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig('pf-netns') }); // the fake's made-up netns path
    const client = await spdySession((await cri.runtime.portForward({ podSandboxId })).url, 'portforward.k8s.io');
    try {
      const outcome = await forwardOnce(client, { port: 80, requestId: 0, firstStreamId: 1, payload: 'x' });
      expect(outcome.data).toBe('');
      expect(outcome.error).toMatch(new RegExp(`error forwarding port 80 to pod ${podSandboxId}: connecting to 127.0.0.1:80 in /var/run/netns/fake-\\S+: entering /var/run/netns/fake-\\S+: No such file or directory \\(ENOENT\\)`));
    } finally {
      client.close();
    }
  });

  it('NotFound for an unknown pod, InvalidArgument for no id or a bad port, FailedPrecondition for a stopped pod', async () => {
    expect(await codeOf(cri.runtime.portForward({ podSandboxId: 'nope' }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.portForward({ podSandboxId: '' }))).toBe('InvalidArgument');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig('pf') });
    expect(await codeOf(cri.runtime.portForward({ podSandboxId, port: [70000] }))).toBe('InvalidArgument');
    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect(await codeOf(cri.runtime.portForward({ podSandboxId }))).toBe('FailedPrecondition');
  });

  it('Unimplemented, naming the handler, for Exec, Attach and PortForward where the pod\'s runtime handler says it cannot', async () => {
    const { fake } = world;
    fake.fakes.runtime.setInfo({
      handlers: [
        { name: '', recursiveReadOnlyMounts: true, userNamespaces: false },
        { name: 'modules', recursiveReadOnlyMounts: false, userNamespaces: false, exec: false, attach: false, portForward: false },
      ],
    });
    const config = podConfig('pf-modules');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config, runtimeHandler: 'modules' });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: containerConfig('m') });
    await cri.runtime.startContainer({ containerId });
    const refused = (what: string) => ({ code: 'Unimplemented', message: expect.stringContaining(`runtime handler "modules" cannot ${what}`) });
    await expect(cri.runtime.portForward({ podSandboxId, port: [80] })).rejects.toMatchObject(refused('port-forward'));
    await expect(cri.runtime.exec({ containerId, cmd: ['sh'], stdout: true })).rejects.toMatchObject(refused('exec'));
    await expect(cri.runtime.attach({ containerId, stdout: true })).rejects.toMatchObject(refused('attach'));
    const plainConfig = podConfig('pf-plain');
    const plain = await cri.runtime.runPodSandbox({ config: plainConfig });
    expect(await codeOf(cri.runtime.portForward({ podSandboxId: plain.podSandboxId, port: [80] }))).toBe('OK');
    const other = await cri.runtime.createContainer({ podSandboxId: plain.podSandboxId, sandboxConfig: plainConfig, config: containerConfig('p') });
    await cri.runtime.startContainer({ containerId: other.containerId });
    expect(await codeOf(cri.runtime.exec({ containerId: other.containerId, cmd: ['sh'], stdout: true }))).toBe('OK');
  });
});
