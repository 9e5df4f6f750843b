#!/usr/bin/env bash
# The test suite: install if needed, then pytest (no network, tmp stores only).
#
# With no arguments it runs everything on SQLite and, alongside it in a second process, the
# whole API suite (tests/api) again on PostgreSQL: a throw-away local server from Debian's
# postgresql (installed by bootstrap.sh as root) in a temporary folder on a free port.
# GOVPERF_TEST_POSTGRES=0 skips that pass; without PostgreSQL it is skipped with a line
# saying so. The last line adds up both passes. Arguments run pytest once with them, on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
pg_log=""
if [ "${GOVPERF_TEST_POSTGRES:-1}" = 0 ]; then
  :
elif [ -z "${GOVPERF_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo ">> PostgreSQL is not installed: the PostgreSQL pass is skipped (scripts/bootstrap.sh dev installs it as root)" >&2
else
  # alongside the SQLite pass (each is one process: two cores, about half the wall time);
  # its own folder for screenshots, its output shown when both are done
  pg_dir="$(mktemp -d)"
  pg_log="$pg_dir/pytest.log"
  GOVPERF_TEST_DATABASE_URL=postgres GOVPERF_TEST_ARTIFACTS="$pg_dir/artifacts" \
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/api >"$pg_log" 2>&1 &
  pg_pid=$!
fi
sqlite_log="$(mktemp)"
sqlite_rc=0
.venv/bin/python -m pytest -q | tee "$sqlite_log" || sqlite_rc=$?
pg_rc=0
logs=("$sqlite_log")
if [ -n "$pg_log" ]; then
  wait "$pg_pid" || pg_rc=$?
  echo ">> the API tests again, on PostgreSQL (run alongside the above)" >&2
  cat "$pg_log"
  logs+=("$pg_log")
fi
# each pass's closing line ("800 passed, 5 skipped, 1 warning in 420.1s"), added up
passed=$(tail -qn 1 "${logs[@]}" | grep -Eo "[0-9]+ passed" | awk '{s+=$1} END {print s+0}' || true)
failed=$(tail -qn 1 "${logs[@]}" | grep -Eo "[0-9]+ (failed|error|errors)" | awk '{s+=$1} END {print s+0}' || true)
rm -f "$sqlite_log"; [ -n "$pg_log" ] && rm -rf "$pg_dir"
echo "total: $passed passed, $failed failed"
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
