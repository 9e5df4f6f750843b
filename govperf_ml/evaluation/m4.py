"""M4 competition data and accuracy measures, as defined by the M4 organisers.

Sources: the M4 Competitor's Guide and the organisers' code in ``Mcompetitions/M4-methods``
(``Benchmarks and Evaluation.R`` for sMAPE, MASE, the seasonality test and Naive2;
Makridakis, Spiliotis & Assimakopoulos, IJF 36(1), 2020 for OWA and MSIS).

* ``sMAPE = mean(200 |y - f| / (|y| + |f|))`` in percent.
* ``MASE = mean|y - f| / mean_t |x_t - x_{t-m}|`` with the in-sample seasonal-naive MAE
  as scale and ``m`` the seasonal period of the frequency (24 hourly, 1 weekly, ...).
* ``Naive2`` is the naive forecast of the seasonally adjusted series, re-seasonalised.
  The series is adjusted only when it is seasonal by the 90 % autocorrelation test at lag
  ``m`` (R's ``acf`` with its default ``lag.max = 10 log10(n)``), using the indices of
  R's ``decompose(type = "multiplicative")``.
* ``OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2`` on the averages over all series.
* ``MSIS`` (alpha = 0.05) is the mean interval width plus ``2 / alpha`` times the amount by
  which the actual falls outside, scaled like MASE.

The per-point measures come from :mod:`govperf_ml.evaluation.metrics` (utilsforecast);
what is M4's own stays here: the MASE scale from the training data with M4's ``m`` (1 for
weekly and daily data even where the models use a season), the mean over horizons then
over series, OWA relative to M4's Naive2 (its seasonality test and decomposition) and
MSIS as the interval score over that scale. ``smape`` and ``coverage`` are re-exported
from the metrics module.

Panels are long frames ``unique_id, ds, y`` where ``ds`` is the 0-based integer step of
the observation; test rows continue the training index.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, Y, DataContractError, short
from govperf_ml.evaluation.metrics import (
    coverage, mase_scale, series_interval_score, series_mae, series_smape, smape,
)

__all__ = [
    "M4_FREQS",
    "load_m4",
    "smape",
    "mase",
    "msis",
    "coverage",
    "owa",
    "seasonality_test",
    "naive2_forecast",
    "evaluate_m4",
]

#: frequency -> (forecast horizon h, seasonal period m) as used in M4's evaluation
M4_FREQS: dict[str, tuple[int, int]] = {
    "hourly": (48, 24),
    "daily": (14, 1),
    "weekly": (13, 1),
    "monthly": (18, 12),
    "quarterly": (8, 4),
    "yearly": (6, 1),
}


def _freq(freq: str) -> str:
    key = str(freq).lower()
    if key not in M4_FREQS:
        raise ValueError(f"unknown M4 frequency {freq!r}; known: {list(M4_FREQS)}")
    return key


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
def _read_wide(path: Path, ds_start: dict[str, int] | None = None) -> pd.DataFrame:
    """Read one M4 wide CSV (id, then right-padded values) into a long frame."""
    ids: list[str] = []
    lengths: list[int] = []
    values: list[float] = []
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)  # header "V1","V2",...
        for row in reader:
            if not row:
                continue
            series_id, cells = row[0], row[1:]
            n = len(cells)
            while n and cells[n - 1].strip() == "":
                n -= 1
            try:
                vals = [float(c) for c in cells[:n]]
            except ValueError as err:
                raise ValueError(f"{path.name}: series {series_id} has a gap or a non-number ({err})") from None
            ids.append(series_id)
            lengths.append(n)
            values.extend(vals)
    lengths_arr = np.asarray(lengths, dtype=np.int64)
    offsets = np.zeros(len(ids), dtype=np.int64)
    if ds_start is not None:
        missing = [i for i in ids if i not in ds_start]
        if missing:
            raise ValueError(f"{path.name}: series {short(missing)} are not in the training file")
        offsets = np.asarray([ds_start[i] for i in ids], dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths_arr) - lengths_arr, lengths_arr)
    ds = np.arange(int(lengths_arr.sum()), dtype=np.int64) - starts + np.repeat(offsets, lengths_arr)
    return pd.DataFrame(
        {ID: np.repeat(np.asarray(ids, dtype=object), lengths_arr), DS: ds, Y: np.asarray(values, dtype=float)}
    )


def load_m4(folder: str | Path, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``Train/<Freq>-train.csv`` and ``Test/<Freq>-test.csv`` of an M4 folder.

    Returns ``(train_long, test_long)``, each with columns ``unique_id, ds, y``; ``ds`` is
    the 0-based step index and the test rows continue the training index.
    """
    name = _freq(freq).capitalize()
    folder = Path(folder)
    train = _read_wide(folder / "Train" / f"{name}-train.csv")
    lengths = train.groupby(ID, sort=False).size().to_dict()
    test = _read_wide(folder / "Test" / f"{name}-test.csv", ds_start=lengths)
    return train, test


# ---------------------------------------------------------------------------------------
# Point measures
# ---------------------------------------------------------------------------------------
def _scale(insample, m: int) -> float:
    x = np.asarray(insample, dtype=float)
    if len(x) <= m:
        raise ValueError(f"MASE needs more than m={m} in-sample values, got {len(x)}")
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(y, y_hat, insample, m: int) -> float:
    """MASE: ``mean|y - f|`` over the in-sample MAE of the seasonal naive with period ``m``."""
    y, f = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    return float(np.mean(np.abs(y - f)) / _scale(insample, m))


def msis(y, lo, hi, insample, m: int, alpha: float = 0.05) -> float:
    """M4's mean scaled interval score of the ``1 - alpha`` interval ``[lo, hi]``."""
    y, lo, hi = (np.asarray(a, dtype=float) for a in (y, lo, hi))
    penalty = (2.0 / alpha) * ((lo - y) * (y < lo) + (y - hi) * (y > hi))
    return float(np.mean((hi - lo) + penalty) / _scale(insample, m))


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall weighted average relative to Naive2: ``(sMAPE/sMAPE_N2 + MASE/MASE_N2) / 2``."""
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


# ---------------------------------------------------------------------------------------
# Naive2
# ---------------------------------------------------------------------------------------
def seasonality_test(x, m: int) -> bool:
    """M4's seasonality test (``SeasonalityTest`` in the organisers' R code).

    Seasonal when ``|acf(m)| > 1.645 sqrt((1 + 2 sum_{k<m} acf(k)^2) / n)``. Series shorter
    than ``3 m`` are not seasonal, nor are those where ``m`` exceeds R's default
    ``lag.max = floor(10 log10(n))`` (R then returns NA, which the test reads as FALSE).
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if m <= 1 or n < 3 * m:
        return False
    if m > min(math.floor(10 * math.log10(n)), n - 1):
        return False
    xc = x - x.mean()
    denom = float(np.dot(xc, xc))
    if denom == 0.0:
        return False
    acf = np.array([np.dot(xc[k:], xc[: n - k]) / denom for k in range(1, m + 1)])
    limit = 1.645 / math.sqrt(n) * math.sqrt(1.0 + 2.0 * float(np.sum(acf[: m - 1] ** 2)))
    return bool(abs(acf[m - 1]) > limit)


def _seasonal_indices(x: np.ndarray, m: int) -> np.ndarray:
    """R ``decompose(type = "multiplicative")$figure``: index of position ``t % m``."""
    n = len(x)
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(weights) // 2
    trend = np.full(n, np.nan)
    trend[half : n - half] = np.convolve(x, weights, mode="valid")
    ratio = x / trend
    figure = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    return figure / figure.mean()


def _naive2_path(x: np.ndarray, h: int, m: int) -> np.ndarray:
    n = len(x)
    if m > 1 and seasonality_test(x, m):
        figure = _seasonal_indices(x, m)
        level = x[-1] / figure[(n - 1) % m]
        return level * figure[(n + np.arange(h)) % m]
    return np.full(h, x[-1])


def naive2_forecast(
    train_long: pd.DataFrame,
    h: int,
    m: int,
    *,
    id_col: str = ID,
    time_col: str = DS,
    target_col: str = Y,
    alias: str = "Naive2",
) -> pd.DataFrame:
    """M4's Naive2 for every series: ``h`` rows per id, ``ds`` continuing the integer index."""
    _require(train_long, [id_col, time_col, target_col], "train")
    if not pd.api.types.is_integer_dtype(train_long[time_col]):
        raise DataContractError(f"train: column {time_col!r} must hold integer step indices", field=time_col)
    frame = train_long.sort_values([id_col, time_col], kind="stable")
    ids, firsts = np.unique(frame[id_col].to_numpy(), return_index=True)
    bounds = np.r_[firsts, len(frame)]
    y = frame[target_col].to_numpy(dtype=float)
    ds = frame[time_col].to_numpy()
    paths = []
    for k in range(len(ids)):
        x = y[bounds[k] : bounds[k + 1]]
        if np.isnan(x).any():
            raise DataContractError(f"train: series {short([ids[k]])} has missing values", field=target_col, ids=[ids[k]])
        paths.append(_naive2_path(x, h, m))
    last = ds[bounds[1:] - 1]
    return pd.DataFrame(
        {
            id_col: np.repeat(ids, h),
            time_col: (np.repeat(last, h) + np.tile(np.arange(1, h + 1), len(ids))).astype(np.int64),
            alias: np.concatenate(paths) if paths else np.empty(0),
        }
    )


# ---------------------------------------------------------------------------------------
# Evaluation table
# ---------------------------------------------------------------------------------------
def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataContractError(f"{what}: missing required column {missing[0]!r}", field=missing[0])


def _scaled_panel(forecasts_long, train_long, test_long, model_cols, m, *, id_col, time_col, target_col):
    """Test rows with every model's forecasts, Naive2's (column ``ref``) and the MASE scale."""
    test = test_long[[id_col, time_col, target_col]].sort_values([id_col, time_col], kind="stable")
    h = int(test.groupby(id_col).size().max())
    ref = "Naive2" if "Naive2" not in model_cols else "Naive2_ref"
    naive2 = naive2_forecast(train_long, h, m, id_col=id_col, time_col=time_col, target_col=target_col, alias=ref)
    cols = [c for c in forecasts_long.columns if c in model_cols or any(c.startswith(f"{mc}-") for mc in model_cols)]
    merged = test.merge(forecasts_long[[id_col, time_col, *cols]], on=[id_col, time_col], how="left")
    merged = merged.merge(naive2, on=[id_col, time_col], how="left")
    for col in [*model_cols, ref]:
        gap = merged[col].isna()
        if gap.any():
            ids = merged.loc[gap, id_col].unique().tolist()
            raise DataContractError(
                f"forecasts: column {col!r} has no forecast for test rows of series {short(ids)}", field=col, ids=ids
            )
    scale = mase_scale(train_long, m, id_col=id_col, time_col=time_col, target_col=target_col)
    scale = merged[id_col].map(scale)
    bad = scale.isna() | (scale <= 0)
    if bad.any():
        ids = merged.loc[bad, id_col].unique().tolist()
        raise DataContractError(
            f"train: series {short(ids)} have no positive seasonal-naive scale (too short or constant)",
            field=target_col,
            ids=ids,
        )
    return merged, scale.groupby(merged[id_col]).first(), ref


def _model_row(merged, scale, col, level, *, id_col, target_col) -> dict:
    """M4's figures of one model: means over series of per-series sMAPE, MASE and MSIS."""
    row = {
        "sMAPE": float(series_smape(merged, [col], id_col=id_col, target_col=target_col)[col].mean()),
        "MASE": float((series_mae(merged, [col], id_col=id_col, target_col=target_col)[col] / scale).mean()),
        f"coverage{level}": float("nan"),
        "MSIS": float("nan"),
    }
    lo_col, hi_col = f"{col}-lo-{level}", f"{col}-hi-{level}"
    if lo_col in merged.columns and hi_col in merged.columns:
        score = series_interval_score(merged, [col], level, id_col=id_col, target_col=target_col)[col]
        row[f"coverage{level}"] = coverage(merged[target_col], merged[lo_col], merged[hi_col])
        row["MSIS"] = float((score / scale).mean())
    return row


def evaluate_m4(
    forecasts_long: pd.DataFrame,
    train_long: pd.DataFrame,
    test_long: pd.DataFrame,
    freq: str,
    model_cols: Sequence[str],
    *,
    id_col: str = ID,
    time_col: str = DS,
    target_col: str = Y,
    level: int = 95,
) -> pd.DataFrame:
    """M4 accuracy table: one row per model (and ``Naive2``), M4's own aggregation.

    ``forecasts_long`` holds ``unique_id, ds`` and one column per model (plus optional
    ``<model>-lo-95`` / ``<model>-hi-95``) for every test row. sMAPE and MASE are averaged
    over horizons, then over series; OWA is relative to Naive2 (computed here from the
    training data), and ``coverage95`` / ``MSIS`` are filled where the interval columns exist.
    """
    _, m = M4_FREQS[_freq(freq)]
    model_cols = list(model_cols)
    _require(forecasts_long, [id_col, time_col, *model_cols], "forecasts")
    _require(test_long, [id_col, time_col, target_col], "test")
    merged, scale, ref = _scaled_panel(forecasts_long, train_long, test_long, model_cols, m, id_col=id_col,
                                       time_col=time_col, target_col=target_col)
    rows = {col: _model_row(merged, scale, col, level, id_col=id_col, target_col=target_col)
            for col in [*model_cols, ref]}
    table = pd.DataFrame.from_dict(rows, orient="index")
    base = table.loc[ref]
    table["OWA"] = [owa(r["sMAPE"], r["MASE"], base["sMAPE"], base["MASE"]) for _, r in table.iterrows()]
    table.index.name = "model"
    return table[["sMAPE", "MASE", "OWA", f"coverage{level}", "MSIS"]]
