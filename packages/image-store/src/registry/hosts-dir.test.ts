import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHostsDir, parseHostsToml } from './hosts-dir.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), `shimkit-hosts-${process.pid}-`));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const parse = (text: string, registry = 'registry.example') => parseHostsToml(text, registry, { file: 'hosts.toml', dir: '/etc/containerd/certs.d/registry.example' });

describe('containerd hosts.toml', () => {
  it('reads server, mirrors in order with their scheme, CAs, client pairs and skip_verify; relative paths are under the host dir', () => {
    const hosts = parse(`
server = "http://10.0.0.5:5000"
ca = "registry-ca.pem"

[host."http://127.0.0.1:5001"]
  capabilities = ["pull", "resolve"]

[host."https://mirror.example:8443"]
  ca = ["/etc/ssl/a.pem", "b.pem"]
  client = [["/etc/ssl/client.cert", "/etc/ssl/client.key"]]
  skip_verify = false

[host."push-only.example"]
  capabilities = ["push"]
`);
    expect(hosts).toEqual({
      'registry.example': {
        endpoint: '10.0.0.5:5000',
        plainHttp: true,
        tls: { caFile: ['/etc/containerd/certs.d/registry.example/registry-ca.pem'] },
        mirrors: ['127.0.0.1:5001', 'mirror.example:8443'],
      },
      '127.0.0.1:5001': { plainHttp: true },
      'mirror.example:8443': {
        plainHttp: false,
        tls: { caFile: ['/etc/ssl/a.pem', '/etc/containerd/certs.d/registry.example/b.pem'], certFile: '/etc/ssl/client.cert', keyFile: '/etc/ssl/client.key', insecureSkipVerify: false },
      },
    });
  });

  it('takes a single PEM holding certificate and key, and a server that is the registry itself', () => {
    expect(parse('server = "https://registry.example"\nclient = "/etc/ssl/both.pem"\nskip_verify = true')).toEqual({
      'registry.example': { plainHttp: false, tls: { certFile: '/etc/ssl/both.pem', keyFile: '/etc/ssl/both.pem', insecureSkipVerify: true } },
    });
  });

  it.each([
    ['server = [', /hosts.toml: not valid TOML/],
    ['sever = "https://x"', /hosts.toml: unknown key "sever"/],
    ['[host."https://m"]\n  skip-verify = true', /host."https:\/\/m": unknown key "skip-verify"/],
    ['[host."https://m"]\n  capabilities = ["pull", "fetch"]', /unknown capability "fetch"/],
    ['[host."ftp://m"]', /scheme must be http or https, got ftp:/],
    ['[host."https://m"]\n  override_path = true', /override_path: is not supported/],
    ['[host."https://m/proxy"]', /a path in the host URL \(\/proxy\) is not supported/],
    ['skip_verify = "yes"', /skip_verify: expected true or false/],
    ['client = [["a", "b"], ["c", "d"]]', /client: expected one client certificate/],
  ])('refuses %j with an error naming what is wrong', (text, message) => {
    expect(() => parse(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
  });
});

describe('loadHostsDir', () => {
  it('reads each registry directory, falling back to its certificate files when it has no hosts.toml', async () => {
    await mkdir(join(dir, 'docker.io'));
    await writeFile(join(dir, 'docker.io', 'hosts.toml'), 'server = "https://registry-1.docker.io"\n[host."http://127.0.0.1:5000"]\n');
    await mkdir(join(dir, 'certs.example:443'));
    for (const f of ['ca.crt', 'client.cert', 'client.key', 'notes.txt']) await writeFile(join(dir, 'certs.example:443', f), 'x');
    await writeFile(join(dir, 'stray-file.toml'), 'not a directory, ignored');
    expect(await loadHostsDir(dir)).toEqual({
      'docker.io': { endpoint: 'registry-1.docker.io', plainHttp: false, mirrors: ['127.0.0.1:5000'] },
      '127.0.0.1:5000': { plainHttp: true },
      'certs.example:443': { tls: { caFile: [join(dir, 'certs.example:443', 'ca.crt')], certFile: join(dir, 'certs.example:443', 'client.cert'), keyFile: join(dir, 'certs.example:443', 'client.key') } },
    });
  });

  it('configures nothing for a missing directory, and names the file of a bad one', async () => {
    expect(await loadHostsDir(join(dir, 'missing'))).toEqual({});
    await mkdir(join(dir, 'bad.example'));
    await writeFile(join(dir, 'bad.example', 'hosts.toml'), 'server = 5');
    await expect(loadHostsDir(dir)).rejects.toThrow(`${join(dir, 'bad.example', 'hosts.toml')}: server: expected a URL string`);
  });

  it('refuses a client certificate without its key, and the _default namespace', async () => {
    await mkdir(join(dir, 'half.example'));
    await writeFile(join(dir, 'half.example', 'client.cert'), 'x');
    await expect(loadHostsDir(dir)).rejects.toThrow(`${join(dir, 'half.example', 'client.cert')}: client certificate without its key client.key`);
    await rm(join(dir, 'half.example'), { recursive: true });
    await mkdir(join(dir, '_default'));
    await expect(loadHostsDir(dir)).rejects.toThrow('the _default host namespace is not supported');
  });
});
