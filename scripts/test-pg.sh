#!/usr/bin/env bash
# A private PostgreSQL 15 for tests and for trying docs/production.md on one machine.
#   scripts/test-pg.sh start [DIR]   initdb + start on a free 127.0.0.1 port; last line: postgres://osmo:osmo@127.0.0.1:PORT/osmo
#   scripts/test-pg.sh stop DIR      stop it and remove DIR
#   scripts/test-pg.sh restart DIR   pg_ctl restart (fast): every connection is cut
#   scripts/test-pg.sh run CMD...    start, run CMD with OSMO_TEST_PG_URL set, stop and remove (even on failure)
# initdb refuses to run as root, so the cluster belongs to the `postgres` user (runuser) when we are root.
# fsync is off: a test cluster never survives a machine crash, and the shared test machine is slow.
set -euo pipefail

BIN=/usr/lib/postgresql/15/bin
log() { echo "test-pg: $*" >&2; }

if [ ! -x "$BIN/initdb" ]; then
  bash "$(dirname "$0")/provision.sh" postgresql >&2
fi

as_owner() { # cmd... (as the data dir's owner)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() { # [dir]
  local dir="${1:-}"
  [ -n "$dir" ] || dir=$(mktemp -d /tmp/osmo-pg-XXXXXX)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  local data="$dir/data" pw="$dir/pw"
  echo osmo >"$pw"
  [ "$(id -u)" = 0 ] && chown postgres: "$pw"
  as_owner "$BIN/initdb" -D "$data" -U osmo --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  local port
  for _ in 1 2 3; do
    port=$(free_port)
    cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    if as_owner "$BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 start >/dev/null; then break; fi
    port=""
  done
  [ -n "$port" ] || { log "postgres did not start; see $dir/server.log"; tail -20 "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  as_owner "$BIN/createdb" -h "$dir" -p "$port" -U osmo osmo
  log "postgres on 127.0.0.1:$port, data in $dir"
  echo "postgres://osmo:osmo@127.0.0.1:$port/osmo"
}

stop() { # dir
  local dir="$1"
  [ -d "$dir/data" ] && as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:?usage: test-pg.sh stop DIR}" ;;
  restart) as_owner "$BIN/pg_ctl" -D "${2:?usage: test-pg.sh restart DIR}/data" -m fast -w -t 30 restart -l "$2/server.log" >/dev/null ;;
  run)
    shift
    dir=$(mktemp -d /tmp/osmo-pg-XXXXXX)
    trap 'stop "$dir"' EXIT
    OSMO_TEST_PG_URL=$(start "$dir" | tail -1)
    export OSMO_TEST_PG_URL
    "$@"
    ;;
  *) echo "usage: test-pg.sh start [DIR] | stop DIR | restart DIR | run CMD..." >&2; exit 2 ;;
esac
