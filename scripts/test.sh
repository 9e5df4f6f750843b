#!/usr/bin/env bash
# The test suite: install if needed, then pytest (no network, tmp stores only).
#
# With no arguments it runs everything on SQLite, then the whole API suite (tests/api)
# again on PostgreSQL: a throw-away local server from Debian's postgresql (installed by
# bootstrap.sh as root) in a temporary folder on a free port. GOVPERF_TEST_POSTGRES=0 skips that pass; without PostgreSQL it is
# skipped with a line saying so. Arguments run pytest once with them, on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
.venv/bin/python -m pytest -q
if [ "${GOVPERF_TEST_POSTGRES:-1}" = 0 ]; then
  exit 0
fi
if [ -z "${GOVPERF_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo ">> PostgreSQL is not installed: the PostgreSQL pass is skipped (scripts/bootstrap.sh dev installs it as root)" >&2
  exit 0
fi
echo ">> the API tests again, on PostgreSQL" >&2
GOVPERF_TEST_DATABASE_URL=postgres exec .venv/bin/python -m pytest -q -p no:cacheprovider tests/api
