#!/usr/bin/env bash
# The test suite: install if needed, then pytest (no network, tmp stores only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
exec .venv/bin/python -m pytest -q "$@"
