#!/usr/bin/env bash
# The whole test run (make test). What each suite runs and why: tests/README.md.
#   1. the real components are there (make setup-test installs them): else it fails here;
#   2. lint (ruff, layer rules), types (mypy) and the migrations check;
#   3. nine suites side by side (most of their time is spent waiting on servers, browsers,
#      Kannel and Xvfb, so the 2 cores stay busy): SQLite in two halves, the
#      `postgres`-marked tests in two halves on a throw-away PostgreSQL cluster, the Kivy UI
#      under Xvfb (the journeys in two halves; the layout matrix); mypy runs beside them;
#   4. every skip of every suite, with its reason, checked against tests/README.md.
# Every suite runs; the exit code says if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
# Bytecode kept (__pycache__, ignored by git and by the kiosk's bundles): each of the run's
# hundreds of Python processes (kiosks, servers, manage commands) otherwise compiled the
# project's modules again (a kiosk UI test: 31.9 -> 28.2 CPU s of the test module). Written
# once below, before the suites start side by side.
unset PYTHONDONTWRITEBYTECODE
PY=.venv/bin/python
PYTEST=("$PY" -m pytest -q -p no:cacheprovider -p tests.support.cpu -rfEs)
start=$(date +%s)
failed=()
run=tests/artifacts/test-run  # each suite's log, JUnit report, exit code and seconds: kept
rm -rf "$run" && mkdir -p "$run"

step() { local name=$1; shift; echo; echo "=== $name"; "$@" || failed+=("$name"); }

# -- 1. real components: a missing one fails the run, it never turns tests into skips ------
components() {
  local missing=() tool
  for tool in pg_dump bearerbox smsbox espeak-ng nginx chromium Xvfb systemd-analyze openssl cc; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(initdb)
  $PY -c "from tests.support.kannel import find_binaries; find_binaries()" 2>/dev/null \
    || missing+=(fakesmsc)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]} (make setup-test installs them)"
    return 1
  fi
  # The tests' site clock (tests/support/siteclock.c), built once before the suites share it.
  $PY -c "from tests.support.siteclock import library; library()" || missing+=("site clock (cc)")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]}"
    return 1
  fi
  echo "all there: PostgreSQL, Kannel, espeak-ng, nginx, Chromium, Xvfb, systemd-analyze, openssl, cc"
}
step "real components" components

# -- 2. lint, types, migrations -----------------------------------------------------------
step "lint (ruff, layer rules)" .venv/bin/ruff check kiosk tests
# mypy takes a core for a minute on a clean clone: it runs beside the suites (its verdict
# is printed with theirs).
( .venv/bin/mypy kiosk >"$run/types.log" 2>&1; echo $? >"$run/types.rc" ) &
step "migrations are up to date" env DEBUG=1 CARREFOUR_DATA_DIR="$(mktemp -d)" \
  $PY -m kiosk.server makemigrations --check --dry-run

# -- 3. the suites, side by side ----------------------------------------------------------
$PY -m compileall -q kiosk tests deploy >/dev/null || failed+=("compileall")
# Two throw-away clusters, one per PostgreSQL half: tests/e2e/test_faults_pg.py restarts the
# cluster under its own tests (pg_ctl restart), which must not cut the other half's.
source deploy/dev/postgres.sh
PG_DIRS=()
stop_clusters() { local dir; for dir in "${PG_DIRS[@]}"; do PG_DIR=$dir pg_stop; done; }
# The demo servers' SQLite templates, built once for all the suites (tests/support/servers.py).
CARREFOUR_TEST_TEMPLATES=$(mktemp -d /tmp/carrefour-templates-XXXXXX)
export CARREFOUR_TEST_TEMPLATES
trap 'stop_clusters; rm -rf "$CARREFOUR_TEST_TEMPLATES"' EXIT
PG_DIR=/tmp/carrefour-pg-a-$$
if pg_start; then PG_DIRS+=("$PG_DIR"); PG_URL_A=$DATABASE_URL_PG; else failed+=("postgresql start"); fi
PG_DIR=/tmp/carrefour-pg-b-$$ PG_PORT=$((PG_PORT + 1))
if pg_start; then PG_DIRS+=("$PG_DIR"); PG_URL_B=$DATABASE_URL_PG; else failed+=("postgresql start"); fi
# tests/deploy/test_backup_restore.py (in the SQLite suites) restores into a database of the
# second cluster: the first is restarted by tests/e2e/test_faults_pg.py while they run (a
# clean-clone run lost the restore's connection so: "terminating connection due to
# administrator command"). Nothing restarts the second.
export DATABASE_URL_PG=${PG_URL_B:-}

# Nine suites, of about the same length (measured: tests/README.md). Halves, not
# pytest-xdist: the module-scoped servers and browsers stay shared within a suite.
# SQLite: every test outside tests/ui but the `postgres` ones (they run on PostgreSQL, the
# production database; `both_databases` ones run on both).
SQLITE_MARKS=(-m "not postgres or both_databases")
SQLITE_A=(tests/server/test_[a-h]*.py tests/sms tests/faults)
SQLITE_C=(tests/server --ignore-glob="tests/server/test_[a-h]*.py" tests/deploy tests/compat
          tests/sync tests/localstore tests/devices tests/domain)
SQLITE_B=(tests --ignore=tests/ui --ignore=tests/server --ignore=tests/deploy
          --ignore=tests/compat --ignore=tests/faults --ignore=tests/sms --ignore=tests/sync
          --ignore=tests/localstore --ignore=tests/devices --ignore=tests/domain)
# PostgreSQL: the `postgres` tests in two halves, each with its own test database.
PG_A=(tests/e2e tests/deploy tests/server/test_[a-c]*.py)
PG_B=(tests/server --ignore-glob="tests/server/test_[a-c]*.py" tests/security)

suite() {  # name, pytest arguments...: runs in the background, output to $run/<name>.log
  # <name>.seconds: its wall time; <name>.cpu-seconds: the CPU (user + sys) of pytest and of
  # every process it waited for (kiosks, servers, Xvfb, browsers), bash's `time` of the run.
  local name=$1; shift
  ( t0=$(date +%s) TIMEFORMAT='%3U %3S'
    { time CPU_REPORT="$run/$name.cpu.json" "${PYTEST[@]}" "$@" --junitxml="$run/$name.xml" \
        >"$run/$name.log" 2>&1; } \
      2>"$run/$name.times"
    echo $? >"$run/$name.rc"; echo $(( $(date +%s) - t0 )) >"$run/$name.seconds"
    awk '{ printf "%.0f\n", $1 + $2 }' "$run/$name.times" >"$run/$name.cpu-seconds" ) &
}

# The whole machine's CPU over the suites (/proc/stat: user, nice, system, irq, softirq,
# steal; idle and iowait apart): the suites' own figures leave out the PostgreSQL clusters.
machine_cpu() { awk '/^cpu / { printf "%d %d\n", $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
read -r busy0 idle0 < <(machine_cpu)
suite "sqlite-a" "${SQLITE_MARKS[@]}" "${SQLITE_A[@]}"
suite "sqlite-c" "${SQLITE_MARKS[@]}" "${SQLITE_C[@]}"
suite "sqlite-b" "${SQLITE_MARKS[@]}" "${SQLITE_B[@]}"
if [ -n "${PG_URL_A:-}" ] && [ -n "${PG_URL_B:-}" ]; then
  DATABASE_URL="$PG_URL_A" DB_TEST_NAME=test_carrefour_a suite "postgres-a" -m postgres "${PG_A[@]}"
  DATABASE_URL="$PG_URL_B" DATABASE_URL_PG="$PG_URL_B" DB_TEST_NAME=test_carrefour_b \
    suite "postgres-b" -m postgres "${PG_B[@]}"
fi
# The Kivy UI in four processes, each with its own Xvfb and server: the journeys in two
# halves, and the layout matrix (every screen x five modes) for three languages each.
suite "ui-a" tests/ui --ignore=tests/ui/test_layout_matrix.py --ignore-glob="tests/ui/test_[f-z]*.py"
suite "ui-b" tests/ui --ignore=tests/ui/test_layout_matrix.py --ignore-glob="tests/ui/test_[a-e]*.py"
MATRIX_LANGUAGES=fr,en,ar suite "ui-matrix-a" tests/ui/test_layout_matrix.py
MATRIX_LANGUAGES=zh,wo,bm suite "ui-matrix-b" tests/ui/test_layout_matrix.py
wait
read -r busy1 idle1 < <(machine_cpu)
hz=$(getconf CLK_TCK)

echo
echo "=== types (mypy: [tool.mypy] in pyproject.toml)"
cat "$run/types.log"
[ "$(cat "$run/types.rc" 2>/dev/null)" = "0" ] || failed+=("types")

suites=(sqlite-a sqlite-b sqlite-c postgres-a postgres-b ui-a ui-b ui-matrix-a ui-matrix-b)
for name in "${suites[@]}"; do
  [ -f "$run/$name.rc" ] || continue
  echo
  echo "=== suite $name ($(cat "$run/$name.seconds") s)"
  cat "$run/$name.log"
  [ "$(cat "$run/$name.rc")" = "0" ] || failed+=("suite $name")
done
for name in postgres-a postgres-b; do
  [ -f "$run/$name.rc" ] || [ -z "${PG_URL_A:-}" ] || failed+=("suite $name")
done

# What each suite cost: wall seconds, and CPU seconds (user + sys) of its processes; the
# 2 cores give at most 2 CPU seconds a wall second, shared by all the suites.
echo
echo "=== suites: wall and CPU seconds"
printf '%-12s %8s %8s\n' suite "wall s" "CPU s"
total=0
for name in "${suites[@]}"; do
  [ -f "$run/$name.seconds" ] || continue
  cpu=$(cat "$run/$name.cpu-seconds" 2>/dev/null || echo "?")
  printf '%-12s %8s %8s\n' "$name" "$(cat "$run/$name.seconds")" "$cpu"
  [[ $cpu =~ ^[0-9]+$ ]] && total=$((total + cpu))
done
printf '%-12s %8s %8s\n' total "" "$total"
echo "the machine over the suites: $(( (busy1 - busy0) / hz )) CPU s busy, $(( (idle1 - idle0) / hz )) idle ($(nproc) cores)"
# Where that CPU went: the costliest test modules over all the suites (tests/support/cpu.py).
echo
echo "=== the costliest test modules (CPU s: pytest and the processes it waited for)"
$PY -m tests.support.cpu "$run"/*.cpu.json

# -- 4. skips: only the reasons tests/README.md allows ------------------------------------
reports=()
for name in "${suites[@]}"; do reports+=("$name=$run/$name.xml"); done
step "skips (allowed reasons: tests/README.md)" $PY -m tests.support.skips tests/README.md "${reports[@]}"

echo
echo "=== make test: $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
