import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { channelProtocol, negotiateProtocol, NO_SUBPROTOCOL, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS } from './channel-protocols.js';
import { checkHandshake, isWebSocketUpgrade } from './handshake.js';

function request(headers: Record<string, string | string[]>, method = 'GET'): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, headers: lower } as unknown as IncomingMessage;
}

const valid = { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };
const names = REMOTE_COMMAND_PROTOCOLS.map((p) => p.name);

describe('negotiateProtocol', () => {
  it('takes the first offered protocol that is supported, "" when none is offered, undefined when none fits', () => {
    expect(negotiateProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'], names)).toBe('v4.channel.k8s.io');
    expect(negotiateProtocol(['foo', 'base64.channel.k8s.io'], names)).toBe('base64.channel.k8s.io');
    expect(negotiateProtocol([], names)).toBe('');
    expect(negotiateProtocol(['v3.channel.k8s.io', 'v2.channel.k8s.io'], names)).toBeUndefined();
  });

  it('describes each protocol as kubelet speaks it', () => {
    expect(channelProtocol('', REMOTE_COMMAND_PROTOCOLS)).toBe(NO_SUBPROTOCOL);
    expect(NO_SUBPROTOCOL).toEqual({ name: '', encoding: 'binary', status: 'message', closeSignal: false });
    expect(channelProtocol('v5.channel.k8s.io', REMOTE_COMMAND_PROTOCOLS)).toEqual({ name: 'v5.channel.k8s.io', encoding: 'binary', status: 'status', closeSignal: true });
    expect(channelProtocol('v4.base64.channel.k8s.io', REMOTE_COMMAND_PROTOCOLS)).toMatchObject({ encoding: 'base64', status: 'status', closeSignal: false });
    expect(channelProtocol('base64.channel.k8s.io', REMOTE_COMMAND_PROTOCOLS)).toMatchObject({ encoding: 'base64', status: 'message' });
    expect(PORT_FORWARD_PROTOCOLS.map((p) => p.name)).toEqual(['v4.channel.k8s.io', 'v4.base64.channel.k8s.io']);
    expect(channelProtocol('v5.channel.k8s.io', PORT_FORWARD_PROTOCOLS)).toBeUndefined();
  });
});

describe('checkHandshake', () => {
  it('accepts a valid upgrade with the negotiated protocol, from one or several headers', () => {
    expect(checkHandshake(request({ ...valid, 'sec-websocket-protocol': 'x, v4.channel.k8s.io' }), names)).toEqual({ protocol: 'v4.channel.k8s.io' });
    expect(checkHandshake(request({ ...valid, 'sec-websocket-protocol': ['x', 'channel.k8s.io'] }), names)).toEqual({ protocol: 'channel.k8s.io' });
    expect(checkHandshake(request(valid), names)).toEqual({ protocol: '' });
    expect(checkHandshake(request({ ...valid, upgrade: 'WebSocket' }), names)).toEqual({ protocol: '' });
    expect(checkHandshake(request({ ...valid, 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' }), ['SPDY/3.1+portforward.k8s.io'])).toEqual({ protocol: 'SPDY/3.1+portforward.k8s.io' });
  });

  it('names what is wrong', () => {
    expect(checkHandshake(request({ ...valid, upgrade: 'h2c' }), names)).toEqual({ refusal: { status: 400, message: 'not a WebSocket upgrade: Upgrade is "h2c", expected "websocket"' } });
    expect(checkHandshake(request(valid, 'PUT'), names)).toEqual({ refusal: { status: 400, message: 'a WebSocket upgrade must be a GET request, not PUT' } });
    expect(checkHandshake(request({ ...valid, 'sec-websocket-key': 'AAAA' }), names)).toMatchObject({ refusal: { status: 400, message: expect.stringMatching(/invalid Sec-WebSocket-Key "AAAA"/) as unknown } });
    expect(checkHandshake(request({ upgrade: 'websocket', 'sec-websocket-key': valid['sec-websocket-key'] }), names)).toEqual({
      refusal: { status: 400, message: 'unsupported Sec-WebSocket-Version "": only 13 is served', headers: { 'Sec-WebSocket-Version': '13' } },
    });
    expect(checkHandshake(request({ ...valid, 'sec-websocket-protocol': 'v3.channel.k8s.io' }), ['v4.channel.k8s.io'])).toEqual({
      refusal: { status: 403, message: 'unable to negotiate a subprotocol: client offered [v3.channel.k8s.io], server supports [v4.channel.k8s.io]' },
    });
  });

  it('tells WebSocket upgrades from others', () => {
    expect(isWebSocketUpgrade(request({ upgrade: 'websocket' }))).toBe(true);
    expect(isWebSocketUpgrade(request({ upgrade: 'SPDY/3.1' }))).toBe(false);
    expect(isWebSocketUpgrade(request({}))).toBe(false);
  });
});
