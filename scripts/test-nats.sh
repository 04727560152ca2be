#!/usr/bin/env bash
# A private NATS JetStream for tests and for trying docs/production.md on one machine:
# nats-server 2.9 from Debian (scripts/provision.sh nats-server), on free ports of 127.0.0.1,
# its store in a temporary directory. Never touches a nats-server it did not start.
#
#   scripts/test-nats.sh run [--cluster] CMD...   start, run CMD with OSMO_BUS set, then stop and remove
#                                                 everything (also when CMD fails or is interrupted)
#   scripts/test-nats.sh start [--cluster]        start in the background; prints the directory and, as
#                                                 its last line, `export OSMO_BUS=nats://…`
#   scripts/test-nats.sh stop DIR                 stop the servers started into DIR and remove DIR
#
# --cluster: three servers routed into one JetStream cluster (R3 streams survive one lost).
set -euo pipefail

NATS_SERVER=${OSMO_NATS_SERVER:-/usr/sbin/nats-server}
log() { echo "test-nats: $*" >&2; }

# N distinct free ports of 127.0.0.1: all held open at once, so none is handed out twice
free_ports() {
  node -e '
    const net = require("net");
    const n = Number(process.argv[1]);
    const servers = Array.from({ length: n }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", r)))).then(() => {
      console.log(servers.map((s) => s.address().port).join(" "));
      servers.forEach((s) => s.close());
    });' "$1"
}

stop_dir() { # dir
  local dir="$1"
  [ -d "$dir" ] || return 0
  for pf in "$dir"/*.pid; do
    [ -e "$pf" ] || continue
    local pid; pid=$(cat "$pf")
    if kill -0 "$pid" 2>/dev/null && grep -q nats-server "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}

healthy() { # monitor-port
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

start_into() { # dir size
  local dir="$1" size="$2" i
  bash "$(dirname "$0")/provision.sh" nats-server
  local all ports=() cports=() mports=()
  read -r -a all <<<"$(free_ports $((size * 3)))"
  for i in $(seq 0 $((size - 1))); do ports+=("${all[$((i * 3))]}"); cports+=("${all[$((i * 3 + 1))]}"); mports+=("${all[$((i * 3 + 2))]}"); done
  for i in $(seq 0 $((size - 1))); do
    local name="n$((i + 1))" args
    mkdir -p "$dir/$name"
    args=(-js -sd "$dir/$name" -a 127.0.0.1 -p "${ports[$i]}" -m "${mports[$i]}" -n "$name")
    if [ "$size" -gt 1 ]; then
      local routes=() j
      for j in $(seq 0 $((size - 1))); do [ "$j" -ne "$i" ] && routes+=("nats://127.0.0.1:${cports[$j]}"); done
      args+=(--cluster_name osmo-test --cluster "nats://127.0.0.1:${cports[$i]}" --routes "$(IFS=,; echo "${routes[*]}")")
    fi
    "$NATS_SERVER" "${args[@]}" >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
  done
  for i in $(seq 0 $((size - 1))); do
    healthy "${mports[$i]}" || { log "n$((i + 1)) not healthy; see $dir/n$((i + 1)).log"; tail -20 "$dir/n$((i + 1)).log" >&2; return 1; }
  done
  local urls=() p
  for p in "${ports[@]}"; do urls+=("nats://127.0.0.1:$p"); done
  (IFS=,; echo "${urls[*]}") >"$dir/url"
}

cmd="${1:-}"; shift || true
size=1
if [ "${1:-}" = "--cluster" ]; then size=3; shift; fi

case "$cmd" in
  run)
    [ $# -gt 0 ] || { log "run: name a command"; exit 2; }
    dir=$(mktemp -d /tmp/osmo-nats-XXXXXX)
    trap 'stop_dir "$dir"' EXIT INT TERM
    start_into "$dir" "$size"
    OSMO_BUS=$(cat "$dir/url") "$@"
    ;;
  start)
    dir=$(mktemp -d /tmp/osmo-nats-XXXXXX)
    start_into "$dir" "$size" || { stop_dir "$dir"; exit 1; }
    log "started $size server(s) in $dir (stop: scripts/test-nats.sh stop $dir)"
    echo "$dir"
    echo "export OSMO_BUS=$(cat "$dir/url")"
    ;;
  stop)
    [ -n "${1:-}" ] || { log "stop: name the directory start printed"; exit 2; }
    case "$1" in /tmp/osmo-nats-*) stop_dir "$1" ;; *) log "stop: $1 is not a directory this script made"; exit 2 ;; esac
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
