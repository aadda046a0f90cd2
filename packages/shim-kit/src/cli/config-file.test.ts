import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isShimError } from '../errors.js';
import { loadShimConfigFile, parseShimConfigFile } from './config-file.js';

describe('shimkit config file', () => {
  it('accepts every documented option', () => {
    const config = {
      logLevel: 'debug',
      logFormat: 'json',
      runtimeName: 'my-shim',
      metrics: { address: '127.0.0.1:9090', processMetrics: false },
      tracing: { endpoint: 'collector.local:4317', serviceName: 'node-1-shim', samplingRatePerMillion: 1000 },
      idleCompaction: { idleMs: 30_000 },
      runtime: { runtime: 'crun', conmon: '/usr/bin/conmon', pauseImage: 'registry.k8s.io/pause:3.9', handlers: { runc: { binary: 'runc' } }, shmSizeBytes: 1 << 20, prestartConmon: true },
      images: {
        registry: {
          hosts: {
            'docker.io': { mirrors: ['mirror.local:5000'] },
            'mirror.local:5000': { plainHttp: true, credentials: { username: 'u', password: 'p' } },
            'registry.internal': { tls: { caFile: '/etc/ca.pem' }, credentials: { identityToken: 't' } },
            'mtls.internal': { endpoint: '10.0.0.5:5000', blocked: false, tls: { caFile: ['/etc/a.pem', '/etc/b.pem'], certFile: '/etc/c.pem', keyFile: '/etc/c.key' } },
          },
          requestTimeoutMs: 5000,
          configPath: '/etc/containerd/certs.d',
        },
        registriesConf: '/etc/containers/registries.conf',
        certsDir: false,
        dockerConfig: true,
        pinnedImages: ['registry.k8s.io/pause:3.9'],
        snapshotter: 'auto',
      },
      network: { confDir: '/etc/cni/net.d', binDirs: ['/usr/lib/cni'] },
    };
    expect(parseShimConfigFile(config)).toEqual(config);
    expect(parseShimConfigFile({})).toEqual({});
    expect(parseShimConfigFile({ idleCompaction: false })).toEqual({ idleCompaction: false });
  });

  it('reports every bad key and value at once, naming each', () => {
    const bad = {
      logLevel: 'loud',
      logFormat: 'xml',
      metrics: { address: 'localhost', port: 9090 },
      tracing: { samplingRatePerMillion: 2_000_000 },
      idleCompaction: true,
      runtime: { runtme: 'runc', handlers: { crun: {} } },
      images: { registry: { hosts: { 'docker.io': { mirrors: 'm', credentials: { user: 'x' } } } }, dockerConfig: false },
      network: { binDirs: [''] },
      extra: 1,
    };
    const e = (() => {
      try {
        parseShimConfigFile(bad, 'shim.json');
      } catch (x) {
        return x;
      }
    })();
    expect(isShimError(e, 'InvalidArgument')).toBe(true);
    const message = (e as Error).message;
    for (const part of [
      'shim.json.logLevel: expected one of "debug", "info", "warn", "error", got "loud"',
      'shim.json.logFormat: expected one of "text", "json", got "xml"',
      'shim.json.metrics.address: "localhost" is not a metrics address',
      'shim.json.metrics.port: unknown key',
      'shim.json.tracing.samplingRatePerMillion: expected an integer from 0 to 1000000, got number 2000000',
      'shim.json.tracing.endpoint: required',
      'shim.json.idleCompaction: expected false or { idleMs }, got boolean true',
      'shim.json.runtime.runtme: unknown key',
      'shim.json.runtime.handlers["crun"].binary: required',
      'shim.json.images.registry.hosts["docker.io"].mirrors: expected an array of strings, got "m"',
      'shim.json.images.registry.hosts["docker.io"].credentials: expected { username, password }',
      'shim.json.images.dockerConfig: expected a path or true, got boolean false',
      'shim.json.network.binDirs[0]: expected a non-empty string',
      'shim.json.extra: unknown key',
    ]) {
      expect(message).toContain(part);
    }
    expect(() => parseShimConfigFile([])).toThrow('config: expected an object, got an array');
  });

  it('reads the signature policy and registries.d it names, so that a bad one is reported now', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shimkit-config-policy-'));
    try {
      const config = (images: object) => writeFile(join(dir, 'shim.json'), JSON.stringify({ images }));
      await writeFile(join(dir, 'policy.json'), '{"default": [{"type": "reject"}]}');
      await config({ signaturePolicy: join(dir, 'policy.json') });
      expect((await loadShimConfigFile(join(dir, 'shim.json'))).images?.signaturePolicy).toBe(join(dir, 'policy.json'));
      await config({ signaturePolicy: join(dir, 'missing.json') });
      await expect(loadShimConfigFile(join(dir, 'shim.json'))).rejects.toThrow(`invalid ${join(dir, 'shim.json')}: images: cannot read signature policy ${join(dir, 'missing.json')}`);
      await writeFile(join(dir, 'policy.json'), '{"default": []}');
      await config({ signaturePolicy: join(dir, 'policy.json') });
      await expect(loadShimConfigFile(join(dir, 'shim.json'))).rejects.toThrow('default: an empty list of requirements is not allowed');
      await mkdir(join(dir, 'registries.d'));
      await writeFile(join(dir, 'registries.d', 'x.yaml'), 'docker: [');
      await config({ registriesDir: join(dir, 'registries.d') });
      await expect(loadShimConfigFile(join(dir, 'shim.json'))).rejects.toThrow('x.yaml: not valid YAML');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), `shimkit-config-${process.pid}-`));
    try {
      await writeFile(join(dir, 'bad.json'), '{ "logLevel": ');
      await expect(loadShimConfigFile(join(dir, 'bad.json'))).rejects.toThrow(`config file ${join(dir, 'bad.json')} is not valid JSON`);
      await expect(loadShimConfigFile(join(dir, 'none.json'))).rejects.toThrow(`cannot read config file ${join(dir, 'none.json')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
