// Renders the files a test-bed containerd reads: config.toml, one hosts.toml per
// plain-HTTP registry, and the CNI network list.

/** TOML basic strings accept JSON's escaping for the ASCII paths used here. */
const q = (s: string): string => JSON.stringify(s);

/** Inputs of {@link renderContainerdConfig}. */
export interface ContainerdConfigInput {
  root: string;
  state: string;
  /** The CRI/containerd gRPC socket path. */
  socket: string;
  sandboxImage: string;
  /** Directory of `<host>/hosts.toml` files. */
  registryConfigDir: string;
  cniConfDir: string;
  cniBinDir: string;
  /** runc's state root, kept inside our state dir. */
  runcRoot: string;
  runcBinary: string;
}

/** containerd 1.6 config (version 2) for an isolated instance with its CRI plugin. */
export function renderContainerdConfig(c: ContainerdConfigInput): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${q(c.root)}
state = ${q(c.state)}
oom_score = 0
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = ${q(c.socket)}

[ttrpc]
  address = ${q(c.socket + '.ttrpc')}

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(c.root + '/opt')}

[${cri}]
  sandbox_image = ${q(c.sandboxImage)}
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  max_container_log_line_size = 16384

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = ${q(c.runcBinary)}
  Root = ${q(c.runcRoot)}

[${cri}.cni]
  bin_dir = ${q(c.cniBinDir)}
  conf_dir = ${q(c.cniConfDir)}
  max_conf_num = 1

[${cri}.registry]
  config_path = ${q(c.registryConfigDir)}
`;
}

/** hosts.toml giving plain-HTTP pull access to a registry at `host` (`127.0.0.1:PORT`). */
export function renderHostsToml(host: string): string {
  return `server = ${q(`http://${host}`)}

[host.${q(`http://${host}`)}]
  capabilities = ["pull", "resolve"]
  skip_verify = true
`;
}

/** Inputs of {@link renderCniConflist}. */
export interface CniInput {
  /** Network name (also used to find host-local and result-cache files). */
  name: string;
  bridge: string;
  /** A private /24, e.g. `10.213.7.0/24`. */
  subnet: string;
  /** host-local's lease directory, kept inside the instance dir. */
  ipamDataDir: string;
}

/**
 * The pod network: a bridge that is not a gateway, with no masquerading and no
 * routes, so nothing leaves the machine; host-local addresses; portmap for
 * hostPort mappings. containerd's CRI adds the loopback network itself (from the
 * same bin_dir), so the list holds only the pod interface's chain.
 */
export function renderCniConflist(c: CniInput): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: c.name,
      plugins: [
        {
          type: 'bridge',
          bridge: c.bridge,
          isGateway: false,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: c.subnet }]], routes: [], dataDir: c.ipamDataDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}
