#!/usr/bin/env bash
# The main job on embedded defaults: install, train whatever model is missing on the
# bundled sample city (SQLite MLflow store under mlflow/), create API keys, serve the API
# on http://127.0.0.1:8000. Extra arguments go to `govperf serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/govperf serve "$@"
