#!/usr/bin/env bash
# Gives tests a real Docker engine and the local test images.
#  - reuses a reachable engine (DOCKER_HOST, /var/run/docker.sock, or our private socket);
#  - otherwise provisions docker.io + busybox-static (scripts/provision.sh) and starts a private dockerd
#    on its own socket and data root (never touches the machine's default daemon);
#  - builds the busybox test images with `docker import` (no registry needed).
# Idempotent: a second run finds the engine and the images and returns in well under a second.
# `scripts/test-docker.sh stop` stops only the daemon this script started.
# Prints `export DOCKER_HOST=...` as its last line so callers can `eval "$(scripts/test-docker.sh | tail -1)"`.
set -euo pipefail

SOCK=/tmp/osmo-docker.sock
PIDFILE=/tmp/osmo-dockerd.pid
LOG=/tmp/osmo-dockerd.log

log() { echo "test-docker: $*" >&2; }

if [ "${1:-}" = "stop" ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"; log "stopped private dockerd"
  fi
  exit 0
fi

reachable() { DOCKER_HOST="$1" timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

host=""
if [ -n "${DOCKER_HOST:-}" ] && reachable "$DOCKER_HOST"; then host="$DOCKER_HOST"
elif [ -S "$SOCK" ] && reachable "unix://$SOCK"; then host="unix://$SOCK"
elif [ -S /var/run/docker.sock ] && reachable unix:///var/run/docker.sock; then host="unix:///var/run/docker.sock"
fi

if [ -z "$host" ]; then
  bash "$(dirname "$0")/provision.sh" docker.io busybox-static
  log "starting private dockerd on $SOCK"
  rm -f "$SOCK"
  nohup dockerd --host "unix://$SOCK" --data-root /tmp/osmo-docker --exec-root /tmp/osmo-docker-exec \
    --pidfile "$PIDFILE" >"$LOG" 2>&1 &
  for _ in $(seq 1 100); do
    reachable "unix://$SOCK" && break
    sleep 0.2
  done
  reachable "unix://$SOCK" || { log "dockerd did not come up; see $LOG"; tail -20 "$LOG" >&2; exit 1; }
  host="unix://$SOCK"
fi
export DOCKER_HOST="$host"

# Test images: a busybox rootfs, imported with a default CMD.
build_image() { # tag cmd-json
  local tag="$1" cmd="$2"
  if docker image inspect "$tag" >/dev/null 2>&1; then return 0; fi
  local bb; bb=$(command -v busybox)
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/bin" "$dir/tmp" "$dir/www" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev"
  cp "$bb" "$dir/bin/busybox"
  for a in sh ash cat echo ls sleep httpd yes true false wget nc ps top kill mkdir rm env date seq dd head tail grep sed awk uname hostname id; do
    ln -sf busybox "$dir/bin/$a"
  done
  echo "osmo test page" > "$dir/www/index.html"
  echo "root:x:0:0:root:/:/bin/sh" > "$dir/etc/passwd"
  tar -C "$dir" -c . | docker import --change "CMD $cmd" --change 'ENV PATH=/bin' - "$tag" >/dev/null
  rm -rf "$dir"
  log "built $tag"
}
build_image osmo-test/httpd:1 '["/bin/httpd","-f","-p","80","-h","/www"]'
build_image osmo-test/sleeper:1 '["/bin/sleep","86400"]'
# Burns one CPU until stopped: the load generator for policy tests.
build_image osmo-test/burn:1 '["/bin/sh","-c","while :; do :; done"]'
build_image osmo-test/busybox:1 '["/bin/sh"]'

echo "export DOCKER_HOST=$host"
