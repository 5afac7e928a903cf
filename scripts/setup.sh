#!/bin/sh
# Sets up a machine to build, run and test berth: system packages (apt-get, as root), npm packages
# (npm ci), the build (tsc + bundle + native addon), and the host preparation crun needs.
# Idempotent and quiet when everything is already there; says what it does otherwise.
#   ./scripts/setup.sh            # everything
#   ./scripts/setup.sh --link     # also put `berth` on PATH (/usr/local/bin/berth)
#   ./scripts/setup.sh --boot-unit  # also --link, and install the systemd unit that runs
#                                   # `berth system boot` at boot (restart policies after a reboot)
#   ./scripts/setup.sh --install-service  # also --link, and install berth.socket and berth.service:
#                                   # `berth daemon` (the Docker Engine API) on /run/berth/berth.sock,
#                                   # socket-activated, for root and the `berth` group
set -eu
cd "$(dirname "$0")/.."
say() { echo "setup: $*" >&2; }

# --- system packages --------------------------------------------------------------------------
# crun/runc: OCI runtimes (berth's own monitor, native/berth_monitor.c, watches containers);
# busybox-static: small test images;
# debuerreotype, debootstrap, debian-archive-keyring, wget, arch-test: `berth image bootstrap`
# (Debian's official image recipe; arch-test says which architectures the host runs);
# mmdebstrap: the build benchmark's base rootfs; iproute2: network checks in tests;
# procps: pgrep/ps in the end-to-end tests, and `berth top`; tini: its static build is `--init`'s PID 1;
# bzip2, xz-utils: ADD extracts .tar.bz2 and .tar.xz archives; make, g++, python3: node-gyp;
# systemd: systemd-analyze verify and systemd-socket-activate check the daemon's units (it never runs as init here);
# netavark, aardvark-dns: container networks; docker-registry, apache2-utils (htpasswd -B): the
# registry the pull/push tests start on loopback; skopeo, umoci: the save/load tests check that
# they read berth's OCI layouts (and berth theirs); docker.io: the reference dockerd the
# interoperability tests start on their own socket (tools/reference-dockerd.sh), never as a service;
# docker-compose (1.29) and python3-docker (docker-py): clients the `berth daemon` tests drive;
packages="docker-compose python3-docker docker.io crun runc tini busybox-static debuerreotype debootstrap debian-archive-keyring wget arch-test mmdebstrap iproute2 procps systemd netavark aardvark-dns make g++ python3 bzip2 xz-utils zstd pigz docker-registry apache2-utils skopeo umoci openssl"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing system packages:$missing — run this script as root (or: sudo apt-get install$missing)"
    exit 1
  fi
  say "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # No service may start while packages install (docker.io's dockerd would take the host's default
  # socket and bridge): policy-rc.d answers "not now" to invoke-rc.d, as in image builds.
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && added_policy=1
  fi
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  if [ -n "$added_policy" ]; then rm -f "$policy"; fi
fi

# --- npm packages and build ---------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
# The native parts (binding.gyp): built again when one is missing or a source is newer than the oldest.
native_products="build/Release/berth_sys.node build/Release/berth-monitor build/Release/berth-exec build/Release/berth-inspect"
native_stale=""
for product in $native_products; do [ -f "$product" ] || native_stale=1; done
if [ -z "$native_stale" ]; then
  # shellcheck disable=SC2086 # the list is word-split on purpose
  oldest_product=$(ls -tr $native_products | head -n 1)
  [ -z "$(find native binding.gyp -newer "$oldest_product" | head -n 1)" ] || native_stale=1
fi
if [ -n "$native_stale" ]; then
  say "building the native addon, the container monitor and the exec and inspect fast paths"
  npx --no-install node-gyp rebuild --loglevel=error >/dev/null 2>&1 || npm run install --silent >/dev/null
fi
newest_src=$(find src tools/bundle.mjs tsconfig.json -newer dist/bundle/berth.cjs 2>/dev/null | head -n 1 || true)
if [ ! -f dist/bundle/berth.cjs ] || [ -n "$newest_src" ]; then
  say "building berth (tsc + bundle)"
  npm run build --silent >/dev/null
fi

# --- host preparation (root only) ---------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  # overlayfs is how images and containers share layers.
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || say "warning: overlayfs is not available in this kernel"
  # crun 1.8 refuses a hybrid cgroup layout in which a controller sits on the cgroup v2 hierarchy
  # while the others are on v1 ("cgroups in hybrid mode not supported"). Mount each such
  # controller on v1, as Debian's cgroupfs-mount does; berth falls back to runc otherwise.
  unified=/sys/fs/cgroup/unified/cgroup.controllers
  if [ -f "$unified" ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
    for c in $(cat "$unified"); do
      if ! mountpoint -q "/sys/fs/cgroup/$c"; then
        say "mounting the cgroup v1 '$c' controller so that crun can run (hybrid cgroup layout)"
        mkdir -p "/sys/fs/cgroup/$c"
        mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || say "warning: could not mount the $c controller; berth will use runc"
      fi
    done
  fi
fi

# The group whose members may use `berth daemon`'s socket (mode 0660, root:berth), as `docker` is dockerd's.
if [ "$(id -u)" = 0 ] && ! getent group berth >/dev/null; then
  groupadd --system berth
  say "created the system group 'berth' (members may use berth daemon's socket)"
fi

if [ "${1:-}" = "--link" ] || [ "${1:-}" = "--boot-unit" ] || [ "${1:-}" = "--install-service" ]; then
  ln -sf "$PWD/bin/berth" /usr/local/bin/berth
  say "linked /usr/local/bin/berth -> $PWD/bin/berth"
fi
if [ "${1:-}" = "--boot-unit" ]; then
  install -m 0644 contrib/systemd/berth-boot.service /etc/systemd/system/berth-boot.service
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload && systemctl enable berth-boot.service >/dev/null 2>&1
    say "installed and enabled berth-boot.service"
  else
    say "installed /etc/systemd/system/berth-boot.service (systemd is not running here: enable it with 'systemctl enable berth-boot.service')"
  fi
fi
if [ "${1:-}" = "--install-service" ]; then
  install -m 0644 contrib/systemd/berth.socket /etc/systemd/system/berth.socket
  install -m 0644 contrib/systemd/berth.service /etc/systemd/system/berth.service
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload && systemctl enable --now berth.socket >/dev/null 2>&1
    say "installed and started berth.socket (berth.service starts on the first connection to /run/berth/berth.sock)"
  else
    say "installed /etc/systemd/system/berth.socket and berth.service (systemd is not running here: enable them with 'systemctl enable --now berth.socket')"
  fi
fi
