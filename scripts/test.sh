#!/usr/bin/env bash
# The test suite: install if needed, then pytest (no network, tmp stores only).
#
# With no arguments it runs everything on SQLite and, alongside it in a second process, the
# whole API suite (tests/api) again on PostgreSQL: a throw-away local server from Debian's
# postgresql (installed by bootstrap.sh as root) in a temporary folder on a free port.
# GOVPERF_TEST_POSTGRES=0 skips that pass; without PostgreSQL it is skipped with a line
# saying so. The slow command-line and registry tests run in the PostgreSQL pass's process
# after it, so both processes end about together. The last line adds up all passes.
# Arguments run pytest once with them, on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
pg_log=""
main_args=()
MOVED=(tests/integration/test_cli.py tests/integration/test_registry.py)
if [ "${GOVPERF_TEST_POSTGRES:-1}" = 0 ]; then
  :
elif [ -z "${GOVPERF_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo ">> PostgreSQL is not installed: the PostgreSQL pass is skipped (scripts/bootstrap.sh dev installs it as root)" >&2
else
  # alongside the SQLite pass (each is one process: two cores, about half the wall time);
  # its own folder for screenshots, its output shown when both are done
  # the PostgreSQL pass is the shorter: after it, the same process runs the slow
  # command-line and registry tests (on SQLite) that the main pass then leaves out
  pg_dir="$(mktemp -d)"
  pg_log="$pg_dir/pytest.log"
  moved_log="$pg_dir/moved.log"
  (
    rc=0
    GOVPERF_TEST_DATABASE_URL=postgres GOVPERF_TEST_ARTIFACTS="$pg_dir/artifacts" \
      .venv/bin/python -m pytest -q -p no:cacheprovider tests/api >"$pg_log" 2>&1 || rc=$?
    GOVPERF_TEST_ARTIFACTS="$pg_dir/artifacts-moved" \
      .venv/bin/python -m pytest -q -p no:cacheprovider "${MOVED[@]}" >"$moved_log" 2>&1 || rc=$?
    exit "$rc"
  ) &
  pg_pid=$!
  main_args=("${MOVED[@]/#/--ignore=}")
fi
sqlite_log="$(mktemp)"
sqlite_rc=0
.venv/bin/python -m pytest -q "${main_args[@]}" | tee "$sqlite_log" || sqlite_rc=$?
pg_rc=0
logs=("$sqlite_log")
if [ -n "$pg_log" ]; then
  wait "$pg_pid" || pg_rc=$?
  echo ">> the API tests again, on PostgreSQL (run alongside the above)" >&2
  cat "$pg_log"
  echo ">> ${MOVED[*]} (on SQLite, after the PostgreSQL pass in its process)" >&2
  cat "$moved_log"
  logs+=("$pg_log" "$moved_log")
fi
# each pass's closing line ("800 passed, 5 skipped, 1 warning in 420.1s"), added up
passed=$(tail -qn 1 "${logs[@]}" | grep -Eo "[0-9]+ passed" | awk '{s+=$1} END {print s+0}' || true)
failed=$(tail -qn 1 "${logs[@]}" | grep -Eo "[0-9]+ (failed|error|errors)" | awk '{s+=$1} END {print s+0}' || true)
rm -f "$sqlite_log"; [ -n "$pg_log" ] && rm -rf "$pg_dir"
echo "total: $passed passed, $failed failed"
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
