"""Turn GutenTAG's output folder into the NAB layout the anomaly suite reads.

Run by ``scripts/make_gutentag.sh`` in its throw-away environment (pandas only):
``python to_nab_layout.py GUTENTAG_OUT CONFIG TARGET``. Each ``<name>/test.csv``
(``timestamp, value-0, is_anomaly``, index timestamps) becomes
``TARGET/data/<base oscillation>/<name>.csv`` with ``timestamp,value`` (5-minute steps from
2025-01-01, values rounded to 4 decimals); every run of labelled points becomes one window
in ``TARGET/labels/combined_windows.json``; ``TARGET/labels/kinds.json`` names the anomaly
kinds of each window (in time order).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

STEP = pd.Timedelta(minutes=5)
START = pd.Timestamp("2025-01-01")
FMT = "%Y-%m-%d %H:%M:%S"


def runs(flag: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.r_[0, flag.astype(int), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def main(out_dir: str, config: str, target: str) -> None:
    spec = {s["name"]: s for s in yaml.safe_load(Path(config).read_text())["timeseries"]}
    target_dir = Path(target)
    windows, kinds = {}, {}
    for name, s in sorted(spec.items()):
        frame = pd.read_csv(Path(out_dir) / name / "test.csv")
        ts = pd.date_range(START, periods=len(frame), freq=STEP)
        base = s["base-oscillation"]["kind"]
        key = f"{base}/{name}.csv"
        path = target_dir / "data" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"timestamp": ts.strftime(FMT), "value": frame["value-0"].round(4)}).to_csv(path, index=False)
        found = runs(frame["is_anomaly"].to_numpy() > 0)
        windows[key] = [[ts[a].strftime(FMT) + ".000000", ts[b].strftime(FMT) + ".000000"] for a, b in found]
        # GutenTAG places the anomalies in the order of the config; map each window to the nearest
        by_pos = sorted(s["anomalies"], key=lambda a: {"beginning": 0, "middle": 1, "end": 2}[a.get("position", "middle")])
        kinds[key] = ["+".join(k["kind"] for k in a["kinds"]) for a in by_pos][: len(found)]
    (target_dir / "labels").mkdir(parents=True, exist_ok=True)
    (target_dir / "labels" / "combined_windows.json").write_text(json.dumps(windows, indent=1, sort_keys=True))
    (target_dir / "labels" / "kinds.json").write_text(json.dumps(kinds, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:4])
