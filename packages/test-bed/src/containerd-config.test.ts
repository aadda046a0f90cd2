import { describe, expect, it } from 'vitest';
import { renderCniConflist, renderContainerdConfig, renderHostsToml } from './containerd-config.js';

describe('renderContainerdConfig', () => {
  const toml = renderContainerdConfig({
    root: '/tmp/x/r',
    state: '/tmp/x/s',
    socket: '/tmp/x/s/c.sock',
    sandboxImage: '127.0.0.1:5000/pause:latest',
    registryConfigDir: '/tmp/x/certs.d',
    cniConfDir: '/tmp/x/cni',
    cniBinDir: '/usr/lib/cni',
    runcRoot: '/tmp/x/s/runc',
    runcBinary: '/usr/sbin/runc',
  });

  it('keeps everything inside the instance dirs', () => {
    expect(toml).toMatch(/^version = 2$/m);
    expect(toml).toContain('root = "/tmp/x/r"');
    expect(toml).toContain('state = "/tmp/x/s"');
    expect(toml).toContain('address = "/tmp/x/s/c.sock"');
    expect(toml).toContain('address = "/tmp/x/s/c.sock.ttrpc"');
    expect(toml).toContain('path = "/tmp/x/r/opt"');
    expect(toml).toContain('Root = "/tmp/x/s/runc"');
    expect(toml).toContain('config_path = "/tmp/x/certs.d"');
    expect(toml).toContain('conf_dir = "/tmp/x/cni"');
  });

  it('sets what this machine needs', () => {
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('snapshotter = "overlayfs"');
    expect(toml).toContain('sandbox_image = "127.0.0.1:5000/pause:latest"');
  });
});

describe('renderHostsToml', () => {
  it('gives plain-HTTP access', () => {
    const toml = renderHostsToml('127.0.0.1:5000');
    expect(toml).toContain('server = "http://127.0.0.1:5000"');
    expect(toml).toContain('[host."http://127.0.0.1:5000"]');
    expect(toml).toContain('capabilities = ["pull", "resolve"]');
  });
});

describe('renderCniConflist', () => {
  it('is a bridge that routes nothing off the machine', () => {
    const conf = JSON.parse(renderCniConflist({ name: 'stbabcdef', bridge: 'stbabcdef', subnet: '10.200.1.0/24', ipamDataDir: '/tmp/x/ipam' })) as {
      name: string;
      plugins: Record<string, unknown>[];
    };
    expect(conf.name).toBe('stbabcdef');
    expect(conf.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(conf.plugins[0]).toMatchObject({
      bridge: 'stbabcdef',
      isGateway: false,
      ipMasq: false,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.200.1.0/24' }]], routes: [], dataDir: '/tmp/x/ipam' },
    });
  });
});
