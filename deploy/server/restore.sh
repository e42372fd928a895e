#!/usr/bin/env bash
# Carrefour database restore, from a file made by backup.sh.
#
#   restore.sh [--force] BACKUP_FILE
#
# Stop the server first:  systemctl stop carrefour-server carrefour-sms-worker
# Environment: DATABASE_URL (+ DATABASE_PASSWORD[_FILE]) or CARREFOUR_DATA_DIR, as backup.sh.
#
# PostgreSQL (.dump): the database named in DATABASE_URL is created when it is missing (the
#   role needs CREATEDB, or create it first as postgres: createdb -O carrefour carrefour).
#   A database that already holds tables is replaced only with --force. The restore runs in
#   one transaction: it succeeds whole or changes nothing.
# SQLite (.sqlite3): the file is checked, copied next to the target and renamed over it
#   (the old file is kept as *.before-restore with --force).
# Then: python -m kiosk.server migrate (a backup of an older release is upgraded), start.
set -euo pipefail
umask 077

FORCE=0
if [ "${1:-}" = "--force" ]; then FORCE=1; shift; fi
FILE=${1:-}
die() { echo "restore: $*" >&2; exit 1; }
[ -n "$FILE" ] || die "usage: restore.sh [--force] BACKUP_FILE"
[ -f "$FILE" ] || die "no such file: $FILE"

URL=${DATABASE_URL:-}
if [ -z "$URL" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then URL=$(<"$DATABASE_URL_FILE"); fi
DATA_DIR=${CARREFOUR_DATA_DIR:-/var/lib/carrefour}
if [ -n "${DATABASE_PASSWORD_FILE:-}" ]; then
  PGPASSWORD=$(<"$DATABASE_PASSWORD_FILE"); export PGPASSWORD
elif [ -n "${DATABASE_PASSWORD:-}" ]; then
  export PGPASSWORD=$DATABASE_PASSWORD
fi

case "$URL" in
  postgres://*|postgresql://*)
    [[ "$FILE" == *.dump ]] || die "$FILE is not a PostgreSQL backup (.dump)"
    pg_restore --list "$FILE" >/dev/null || die "$FILE is not a readable pg_dump archive"
    base=${URL%%\?*}
    query=""; [ "$base" != "$URL" ] && query="?${URL#*\?}"
    db=${base##*/}
    [[ "$db" =~ ^[A-Za-z0-9_]+$ ]] || die "unexpected database name '$db'"
    maintenance="${base%/*}/postgres$query"
    exists=$(psql -X -qAt -d "$maintenance" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")
    if [ "$exists" != "1" ]; then
      echo "restore: creating database $db"
      psql -X -q -v ON_ERROR_STOP=1 -d "$maintenance" -c "CREATE DATABASE \"$db\""
    else
      tables=$(psql -X -qAt -d "$URL" -c \
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
      if [ "$tables" != "0" ]; then
        [ "$FORCE" = 1 ] || die "database $db is not empty ($tables tables): use --force to replace it"
        echo "restore: replacing the $tables tables of $db"
      fi
    fi
    pg_restore --clean --if-exists --no-owner --no-acl --single-transaction --exit-on-error \
      --dbname="$URL" "$FILE" || die "pg_restore failed: nothing was changed"
    ;;
  sqlite://*|"")
    [[ "$FILE" == *.sqlite3 ]] || die "$FILE is not a SQLite backup (.sqlite3)"
    if [ -n "$URL" ]; then
      path=${URL#sqlite://}; path=${path#/}; path="/${path#/}"
    else
      path="$DATA_DIR/carrefour.sqlite3"
    fi
    python3 - "$FILE" <<'PY' || die "$FILE fails SQLite's integrity check"
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
sys.exit(0 if con.execute("PRAGMA integrity_check").fetchone()[0] == "ok" else 1)
PY
    if [ -f "$path" ]; then
      [ "$FORCE" = 1 ] || die "$path exists: use --force to replace it (stop the server first)"
      mv -f "$path" "$path.before-restore"
      echo "restore: the previous database is kept as $path.before-restore"
    fi
    rm -f "$path-wal" "$path-shm"   # the old file's journal must not meet the new file
    mkdir -p "$(dirname "$path")"
    cp "$FILE" "$path.restoring"
    mv -f "$path.restoring" "$path"
    ;;
  *) die "DATABASE_URL scheme not supported: ${URL%%:*}" ;;
esac
echo "restore: done from $FILE. Next: python -m kiosk.server migrate, then start the services."
