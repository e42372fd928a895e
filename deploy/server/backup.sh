#!/usr/bin/env bash
# Carrefour database backup: one file per run, rotated. Safe while the server runs.
#
#   backup.sh [DEST_DIR]        (default: $BACKUP_DIR, else /var/backups/carrefour)
#
# Environment (the same as the server's: /etc/carrefour/server.env):
#   DATABASE_URL        postgres://user@host:port/db  -> pg_dump --format=custom  (.dump)
#                       sqlite:///path/to/db.sqlite3   -> SQLite online backup    (.sqlite3)
#                       unset -> $CARREFOUR_DATA_DIR/carrefour.sqlite3 (the embedded default)
#   DATABASE_PASSWORD / DATABASE_PASSWORD_FILE   PostgreSQL password (else .pgpass / peer)
#   BACKUP_KEEP         how many backups to keep (default 14)
#
# Each backup is written under a temporary name, checked (pg_restore --list, or SQLite's
# integrity_check), made private (0600) and only then renamed: a file named carrefour-*.dump
# or carrefour-*.sqlite3 is always complete. The oldest beyond BACKUP_KEEP are deleted.
# Exit code 0 only when the new backup exists and passed its check.
set -euo pipefail
umask 077

DEST=${1:-${BACKUP_DIR:-/var/backups/carrefour}}
KEEP=${BACKUP_KEEP:-14}
URL=${DATABASE_URL:-}
if [ -z "$URL" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then URL=$(<"$DATABASE_URL_FILE"); fi
DATA_DIR=${CARREFOUR_DATA_DIR:-/var/lib/carrefour}
STAMP=$(date -u +%Y%m%d-%H%M%S)

die() { echo "backup: $*" >&2; exit 1; }
[[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a positive number, got '$KEEP'"
mkdir -p "$DEST"

if [ -n "${DATABASE_PASSWORD_FILE:-}" ]; then
  PGPASSWORD=$(<"$DATABASE_PASSWORD_FILE"); export PGPASSWORD
elif [ -n "${DATABASE_PASSWORD:-}" ]; then
  export PGPASSWORD=$DATABASE_PASSWORD
fi

sqlite_backup() {  # src dst: SQLite's online backup API (consistent even with WAL writers)
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys
src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=60)
dst = sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
dst.close(); src.close()
sys.exit(0 if ok == "ok" else f"integrity_check: {ok}")
PY
}

case "$URL" in
  postgres://*|postgresql://*)
    final="$DEST/carrefour-$STAMP.dump"
    tmp="$final.partial"
    pg_dump --format=custom --compress=6 --no-owner --no-acl --file="$tmp" --dbname="$URL" \
      || { rm -f "$tmp"; die "pg_dump failed"; }
    pg_restore --list "$tmp" >/dev/null || { rm -f "$tmp"; die "the dump does not read back"; }
    pattern='carrefour-*.dump'
    ;;
  sqlite://*|"")
    if [ -n "$URL" ]; then
      path=${URL#sqlite://}
      path=${path#/}; path="/${path#/}"   # sqlite:////abs and sqlite:///abs both mean /abs
    else
      path="$DATA_DIR/carrefour.sqlite3"
    fi
    [ -f "$path" ] || die "no SQLite database at $path"
    final="$DEST/carrefour-$STAMP.sqlite3"
    tmp="$final.partial"
    sqlite_backup "$path" "$tmp" || { rm -f "$tmp"; die "SQLite backup failed"; }
    pattern='carrefour-*.sqlite3'
    ;;
  *) die "DATABASE_URL scheme not supported: ${URL%%:*}" ;;
esac

chmod 600 "$tmp"
mv -f "$tmp" "$final"
echo "backup: $final ($(du -h "$final" | cut -f1))"

# Rotation: keep the newest $KEEP of this kind (names sort by time).
mapfile -t old < <(find "$DEST" -maxdepth 1 -type f -name "$pattern" | sort -r | tail -n +"$((KEEP + 1))")
for f in "${old[@]}"; do rm -f -- "$f"; echo "backup: removed old $f"; done
