#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, and nothing else.
#  - Idempotent and fast: each package is probed by the file its tests use; when every probe
#    succeeds, no package manager runs at all.
#  - apt-get runs only for what is missing (as root, or through sudo when that is available).
#  - `scripts/provision.sh PKG...` provisions only the named packages (scripts/test-docker.sh
#    asks for the engine alone this way).
# Used by scripts/test.sh, so the README's `npm test` is the whole set-up on a fresh machine.
set -euo pipefail

# package        probe (a command on PATH or an absolute path; the test that needs it)
PACKAGES=(
  "docker.io                dockerd"                              # the real engine (scripts/test-docker.sh)
  "busybox-static           busybox"                              # rootfs of the osmo-test/* images
  "prometheus               /usr/bin/promtool"                    # /metrics checked by promtool
  "chromium                 /usr/bin/chromium"                    # dashboard tests (playwright-core drives it)
  "iproute2                 ip"                                   # network namespaces for separate hosts
  "prometheus-node-exporter /usr/bin/prometheus-node-exporter"    # host-metrics comparison
  "docker-registry          /usr/bin/docker-registry"             # pulls from a local registry
  "postgresql               /usr/lib/postgresql"                  # store on PostgreSQL
  "nats-server              /usr/sbin/nats-server"                # bus on NATS JetStream
  "python3-zeroconf         /usr/lib/python3/dist-packages/zeroconf"  # mDNS interoperability
  "avahi-utils              /usr/bin/avahi-browse"                # mDNS announcements seen by avahi
  "avahi-daemon             /usr/sbin/avahi-daemon"               # the device's own daemon avahi-browse asks
  "dbus-daemon              /usr/bin/dbus-daemon"                 # a private system bus for that daemon
)

present() { # probe
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

wanted=("$@")
missing=()
for entry in "${PACKAGES[@]}"; do
  read -r pkg probe <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $pkg "* ]]; then continue; fi
  present "$probe" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "provision: installing ${missing[*]}" >&2
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "provision: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >&2
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
