#!/usr/bin/env bash
# The whole test run (make test): lint, then the suites on SQLite, on PostgreSQL, and the
# Kivy UI suite in its own process under Xvfb. Every suite runs; the exit code says if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
PY=.venv/bin/python
start=$(date +%s)
failed=()

step() { local name=$1; shift; echo; echo "=== $name"; "$@" || failed+=("$name"); }

step "lint (ruff, layer rules)" .venv/bin/ruff check kiosk tests
step "migrations are up to date" env DEBUG=1 CARREFOUR_DATA_DIR="$(mktemp -d)" \
  $PY -m kiosk.server makemigrations --check --dry-run

source deploy/dev/postgres.sh
trap pg_stop EXIT
if pg_start; then
  export DATABASE_URL_PG
else
  failed+=("postgresql start")
fi

step "suite on SQLite" $PY -m pytest tests --ignore=tests/ui -q -p no:cacheprovider

# The Kivy UI suite (its own Xvfb, its own server) runs beside the PostgreSQL suite: the two
# barely share anything and the whole run stays well under 15 minutes on 2 cores. Its
# output is printed once both are done.
ui_log=$(mktemp)
( $PY -m pytest tests/ui -q -p no:cacheprovider >"$ui_log" 2>&1; echo $? >"$ui_log.rc" ) &
ui_pid=$!
if [ -n "${DATABASE_URL_PG:-}" ]; then
  step "suite on PostgreSQL" env DATABASE_URL="$DATABASE_URL_PG" \
    $PY -m pytest tests/server tests/e2e tests/deploy/test_migrations.py -m "not sqlite_only" -q -p no:cacheprovider
fi
wait "$ui_pid"
echo
echo "=== kiosk UI under Xvfb (ran beside the PostgreSQL suite)"
cat "$ui_log"
[ "$(cat "$ui_log.rc" 2>/dev/null)" = "0" ] || failed+=("kiosk UI under Xvfb")
rm -f "$ui_log" "$ui_log.rc"

echo
echo "=== make test: $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
