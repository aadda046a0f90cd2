#!/usr/bin/env bash
# Installs the Debian packages shimkit's tests, demo and benchmarks run for real.
# Idempotent: does nothing when everything is present, and runs `apt-get update`
# only when a package is missing.
set -euo pipefail

packages=(
  gcc                         # builds the host helper (packages/host-helper/src/native)
  libc6-dev                   # its C headers
  g++                         # node-gyp builds zstd-napi (image-store's in-process zstd decoder) at npm ci
  make                        # node-gyp's build
  python3                     # node-gyp's gyp
  runc                        # OCI runtime
  crun                        # second OCI runtime, for the driver conformance suite
  conmon                      # per-container monitor
  containernetworking-plugins # CNI plugins: loopback, bridge, host-local, portmap
  iptables                    # used by the portmap plugin
  iproute2                    # ip netns, ip link
  busybox-static              # builds test images offline
  docker-registry             # a real OCI distribution registry on 127.0.0.1
  containerd                  # an independent CRI server to test our client against
  skopeo                      # copies test images into the registry
  strace                      # a test traces every program the shim executes
  umoci                       # builds test images as OCI layouts
  zstd                        # makes the tests' zstd layers; decodes them when zstd-napi did not build
  attr                        # setfattr/getfattr: tests read back xattrs (image-store, host-helper) and make them (tar reader)
  podman                      # parity tests of `shimkit run` and friends
  buildah                     # parity tests of `shimkit build`
  gnupg                       # gpg: image signature tests
  wabt                        # wat2wasm: builds the wasm example's test modules from source
  openssl                     # makes the CA and certificates of the registry TLS tests
  systemd                     # systemd-socket-activate, systemd-notify: serve's socket activation and readiness tests
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup-host: missing Debian packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-host: apt-get is not available; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-host: must run as root to install packages (try: sudo bash scripts/setup-host.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
echo "setup-host: installed ${missing[*]}"
