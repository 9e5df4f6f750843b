"""The NAB corpus on disk: reading data files and label windows, writing results files.

A NAB-layout folder holds ``data/<category>/<file>.csv`` (``timestamp,value``) and
``labels/combined_windows.json``, which maps ``"<category>/<file>.csv"`` to a list of
``[start, end]`` timestamps (with a ``.000000`` suffix; only the first 19 characters are
compared). A window covers the rows with ``start <= timestamp <= end``; how NAB's sweeper
walks rows into windows is :func:`window_bounds`. The scorer is
:mod:`govperf_ml.evaluation.nab`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["as_scores", "load_nab", "load_windows", "timestamps", "window_bounds", "window_labels",
           "write_nab_results"]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

Window = tuple[pd.Timestamp, pd.Timestamp]


def _parse_time(value) -> pd.Timestamp:
    return pd.Timestamp(str(value)[:19])


def load_nab(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read every ``data/<category>/<file>.csv`` under a NAB-layout folder.

    Returns ``{"<category>/<file>.csv": DataFrame(timestamp, value)}`` sorted by key, with
    ``timestamp`` as ``datetime64[ns]`` and ``value`` as float.
    """
    root = Path(folder) / "data"
    if not root.is_dir():
        raise FileNotFoundError(f"no NAB data folder at {root}")
    out: dict[str, pd.DataFrame] = {}
    for path in sorted(root.glob("*/*.csv")):
        frame = pd.read_csv(path)
        if "timestamp" not in frame.columns or "value" not in frame.columns:
            raise ValueError(f"{path}: expected columns timestamp,value; got {list(frame.columns)}")
        frame = pd.DataFrame(
            {
                "timestamp": pd.to_datetime(frame["timestamp"].astype(str).str.slice(0, 19), format=_TIME_FORMAT),
                "value": frame["value"].astype(float),
            }
        )
        out[f"{path.parent.name}/{path.name}"] = frame
    return out


def load_windows(
    folder: str | Path, labels_file: str = "combined_windows.json"
) -> dict[str, list[Window]]:
    """Read ``labels/<labels_file>`` of a NAB-layout folder.

    Returns ``{"<category>/<file>.csv": [(start, end), ...]}`` with ``pd.Timestamp`` limits
    (the ``.000000`` suffix is dropped: only the first 19 characters are parsed), each
    file's windows sorted by start.
    """
    path = Path(folder) / "labels" / labels_file
    with open(path) as fh:
        raw = json.load(fh)
    return {
        key: sorted((_parse_time(a), _parse_time(b)) for a, b in limits)
        for key, limits in sorted(raw.items())
    }


def write_nab_results(
    folder: str | Path,
    detector_name: str,
    data: Mapping[str, pd.DataFrame],
    scores: Mapping[str, np.ndarray | pd.Series],
    labels_or_windows: Mapping[str, Sequence | np.ndarray | pd.Series],
) -> list[Path]:
    """Write NAB results files so the official ``run.py --score --normalize`` can read them.

    Files go to ``<folder>/<detector>/<category>/<detector>_<file>.csv`` with the columns
    ``timestamp,value,anomaly_score,label``. ``labels_or_windows[file]`` is either a 0/1
    array aligned with the rows or a list of ``(start, end)`` windows (label 1 inside).
    Returns the written paths.
    """
    if "_" in detector_name:
        # NAB splits result file names on the first "_" to recover the detector name
        raise ValueError(f"detector_name must not contain '_' (NAB parses it): {detector_name!r}")
    written = []
    for key in sorted(scores):
        frame = data[key]
        score = as_scores(scores[key], len(frame), key)
        spec = labels_or_windows.get(key, [])
        if isinstance(spec, (np.ndarray, pd.Series)):
            label = np.asarray(spec, dtype=int)
            if len(label) != len(frame):
                raise ValueError(f"{key}: {len(label)} labels for {len(frame)} rows")
        else:
            label = window_labels(timestamps(frame, key), spec)
        category, name = key.split("/", 1)
        out = Path(folder) / detector_name / category / f"{detector_name}_{name}"
        out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {
                "timestamp": pd.to_datetime(frame["timestamp"]).dt.strftime(_TIME_FORMAT),
                "value": frame["value"].to_numpy(),
                "anomaly_score": score,
                "label": label,
            }
        ).to_csv(out, index=False)
        written.append(out)
    return written


def timestamps(frame: pd.DataFrame | pd.Series | np.ndarray, key: str = "") -> np.ndarray:
    values = frame["timestamp"] if isinstance(frame, pd.DataFrame) else frame
    values = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values.astype(str).str.slice(0, 19), format=_TIME_FORMAT)
    return values.to_numpy(dtype="datetime64[ns]")


def window_bounds(ts: np.ndarray, windows: Iterable) -> list[tuple[int, int]]:
    """Row bounds ``(left, right)`` (inclusive) of each window, walked as NAB's sweeper does.

    NAB enters a window on the first row (after the previous window) whose timestamp equals
    the window start and leaves it on the first row from there whose timestamp equals the
    end, so duplicated or out-of-order timestamps (NAB has both, around DST changes) are
    handled row by row. A limit that is not an exact timestamp is snapped: the window
    starts on the first row at or after ``start`` and runs while timestamps stay
    ``<= end``. Windows without rows are dropped.
    """
    bounds: list[tuple[int, int]] = []
    pos = 0
    for start, end in sorted((_parse_time(a), _parse_time(b)) for a, b in windows):
        start64, end64 = np.datetime64(start, "ns"), np.datetime64(end, "ns")
        rest = ts[pos:]
        hit = np.flatnonzero(rest == start64)
        if not len(hit):
            hit = np.flatnonzero(rest >= start64)
        if not len(hit):
            continue
        left = pos + int(hit[0])
        rest = ts[left:]
        hit = np.flatnonzero(rest == end64)
        if len(hit):
            right = left + int(hit[0])
        else:
            over = np.flatnonzero(rest > end64)
            right = left + (int(over[0]) if len(over) else len(rest)) - 1
        if right < left:
            continue
        bounds.append((left, right))
        pos = right + 1
    return bounds


def window_labels(ts: np.ndarray, windows: Iterable) -> np.ndarray:
    """0/1 label per row: 1 where ``start <= timestamp <= end`` (NAB's ``CorpusLabel``)."""
    label = np.zeros(len(ts), dtype=int)
    for start, end in ((_parse_time(a), _parse_time(b)) for a, b in windows):
        label[(ts >= np.datetime64(start, "ns")) & (ts <= np.datetime64(end, "ns"))] = 1
    return label


def as_scores(values, n: int, key: str) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=float)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{key}: {arr.shape} anomaly scores for {n} rows")
    if not np.isfinite(arr).all():
        raise ValueError(f"{key}: anomaly scores must be finite (found NaN or inf)")
    return arr
