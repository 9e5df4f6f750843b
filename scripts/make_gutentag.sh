#!/usr/bin/env bash
# Regenerate the GutenTAG corpus of the anomaly suite (govperf_ml/data/gutentag/) from its
# committed config. timeeval-gutentag pins scipy < 1.15, which the service's environment
# does not have, so it runs in a throw-away virtual environment.
#   bash scripts/make_gutentag.sh [VENV_DIR]     (default /tmp/gutentag-venv)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-/tmp/gutentag-venv}"
corpus="$here/govperf_ml/data/gutentag"
seed=20260
[ -x "$venv/bin/gutenTAG" ] || { python3.11 -m venv "$venv" && "$venv/bin/pip" install -q "timeeval-gutentag==1.5.0"; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$venv/bin/gutenTAG" --config-yaml "$corpus/config.yaml" --output-dir "$out" --seed "$seed" >/dev/null
rm -rf "$corpus/data" "$corpus/labels"
"$venv/bin/python" "$here/scripts/gutentag/to_nab_layout.py" "$out" "$corpus/config.yaml" "$corpus"
echo "GutenTAG corpus (seed $seed) written to $corpus: $(find "$corpus/data" -name '*.csv' | wc -l) series"
