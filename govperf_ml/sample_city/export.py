"""Writing a city out as CSV files (``govperf sample-city --out DIR``)."""

from __future__ import annotations

import csv
from pathlib import Path

from govperf_ml.sample_city.city import SampleCity


def write_sample_city(city: SampleCity, folder) -> dict[str, Path]:
    """Write every frame of ``city`` as ``<folder>/<name>.csv``; return name -> path.

    List-valued cells (the feedback ``dimensions``) are joined with ';'. Dates are written
    in ISO format. The folder is created if needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in city.frames().items():
        out = frame.copy()
        for col in out.columns:
            if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, tuple))).any():
                out[col] = out[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        path = folder / f"{name}.csv"
        out.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        written[name] = path
    return written
