#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback for the tests: pg_start / pg_stop.
# Sets DATABASE_URL_PG. Runs as the 'postgres' system user when we are root (initdb refuses root).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
PG_DIR=${PG_DIR:-/tmp/carrefour-pg-$$}
# Below the kernel's ephemeral range (32768-60999): a client socket never holds it.
PG_PORT=${PG_PORT:-25432}

_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  [ -n "$PG_BIN" ] || { echo "PostgreSQL is not installed (make setup-test installs it)" >&2; return 1; }
  # A port left busy by an earlier run: pick the next free one.
  while (exec 3<>/dev/tcp/127.0.0.1/$PG_PORT) 2>/dev/null; do PG_PORT=$((PG_PORT + 1)); done
  mkdir -p "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DIR"
  _pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
    || { echo "initdb failed in $PG_DIR" >&2; return 1; }
  # A port can be taken with no listener to see (a client socket's own port, in the
  # ephemeral range): the start then fails on bind, and the next port is tried.
  local tries=0
  until _pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 10 ] || ! grep -q "could not create any TCP/IP sockets" "$PG_DIR/log"; then
      echo "PostgreSQL did not start on 127.0.0.1:$PG_PORT; its log:" >&2
      tail -n 20 "$PG_DIR/log" >&2
      return 1
    fi
    : >"$PG_DIR/log"
    PG_PORT=$((PG_PORT + 1))
    while (exec 3<>/dev/tcp/127.0.0.1/$PG_PORT) 2>/dev/null; do PG_PORT=$((PG_PORT + 1)); done
  done
  _pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c \
    "CREATE ROLE carrefour LOGIN PASSWORD 'carrefour' CREATEDB;" >/dev/null || return 1
  _pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c \
    "CREATE DATABASE carrefour OWNER carrefour;" >/dev/null || return 1
  export DATABASE_URL_PG="postgres://carrefour:carrefour@127.0.0.1:$PG_PORT/carrefour"
  echo "==> PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  [ -d "$PG_DIR/data" ] && _pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
}
