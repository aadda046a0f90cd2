import { describe, expect, it } from 'vitest';
import { isCriError } from './cri-error.js';
import { MAX_UNIX_SOCKET_PATH_BYTES, parseEndpoint } from './endpoint.js';

describe('parseEndpoint', () => {
  it.each([
    ['unix:///run/containerd/containerd.sock', '/run/containerd/containerd.sock', 'unix:///run/containerd/containerd.sock'],
    ['unix:/run/crio/crio.sock', '/run/crio/crio.sock', 'unix:///run/crio/crio.sock'],
    ['unix:relative/shim.sock', 'relative/shim.sock', 'unix:relative/shim.sock'],
    ['unix:shim.sock', 'shim.sock', 'unix:shim.sock'],
    ['UNIX:///run/x.sock', '/run/x.sock', 'unix:///run/x.sock'],
    ['/var/run/shim.sock', '/var/run/shim.sock', 'unix:///var/run/shim.sock'],
    ['./shim.sock', './shim.sock', 'unix:./shim.sock'],
    ['shim.sock', 'shim.sock', 'unix:shim.sock'],
    ['/tmp/with space.sock', '/tmp/with space.sock', 'unix:///tmp/with space.sock'],
  ])('%s -> %s', (input, path, target) => {
    expect(parseEndpoint(input)).toEqual({ kind: 'unix', path, target });
  });

  it('accepts a path of exactly the sun_path limit', () => {
    const path = '/' + 'a'.repeat(MAX_UNIX_SOCKET_PATH_BYTES - 1);
    expect(parseEndpoint(path).path).toBe(path);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    [' /run/x.sock', /whitespace/],
    ['tcp://127.0.0.1:10000', /scheme "tcp" is not supported/],
    ['http://localhost/x.sock', /scheme "http" is not supported/],
    ['npipe:////./pipe/containerd', /scheme "npipe" is not supported/],
    ['unix-abstract:shim', /scheme "unix-abstract" is not supported/],
    ['unix://host/run/x.sock', /cannot name a host \("host"\)/],
    ['unix://run/x.sock', /cannot name a host \("run"\)/],
    ['unix://', /names no socket path/],
    ['unix:', /names no socket path/],
    ['unix:///', /names a directory/],
    ['/run/containerd/', /names a directory/],
    ['/run/x\0.sock', /NUL byte/],
    ['unix:///run/x\0.sock', /NUL byte/],
    ['/' + 'a'.repeat(MAX_UNIX_SOCKET_PATH_BYTES), /108 bytes long; unix sockets allow at most 107/],
    ['/' + 'é'.repeat(54), /109 bytes long/],
  ])('rejects %j', (input, message) => {
    let caught: unknown;
    try {
      parseEndpoint(input);
    } catch (e) {
      caught = e;
    }
    expect(isCriError(caught, 'InvalidEndpoint')).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain('invalid CRI endpoint');
  });
});
