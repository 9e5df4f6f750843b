"""Forecast bench: the M4 test horizon with the official measures, for any M4 frequency.

``--data`` is any folder in M4's layout (``Train/<Freq>-train.csv``, ``Test/<Freq>-test.csv``).
sMAPE, MASE and OWA (relative to Naive2, computed in the same run), 95 % interval
coverage and MSIS for every model.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from govperf_ml.bench import BenchResult
from govperf_ml.contracts import DataContractError
from govperf_ml.evaluation import m4
from govperf_ml.forecasting import SeasonalNaiveForecaster

_STEP = {"hourly": "h", "daily": "D", "weekly": "7D", "monthly": "MS", "quarterly": "QS", "yearly": "YS"}


def to_dates(df: pd.DataFrame, freq: str) -> pd.DataFrame:
    """M4 has no dates: put the step index on a regular calendar of the right frequency."""
    step = _STEP[freq]
    origin = pd.Timestamp("2000-01-03")
    if step in ("MS", "QS", "YS"):
        months = {"MS": 1, "QS": 3, "YS": 12}[step]
        ds = [origin + pd.DateOffset(months=months * int(i)) for i in df["ds"]]
        return df.assign(ds=pd.DatetimeIndex(ds).to_period("M").to_timestamp())
    return df.assign(ds=origin + pd.to_timedelta(df["ds"].astype(int), unit="h" if step == "h" else "D")
                     * (7 if step == "7D" else 1))


def run(data: Path, *, freq: str = "hourly", quick: bool = False) -> BenchResult:
    freq = freq.lower()
    if freq not in m4.M4_FREQS:
        raise DataContractError(f"--freq must be one of {sorted(m4.M4_FREQS)}; got {freq!r}", field="freq")
    h, m = m4.M4_FREQS[freq]
    try:
        train, test = m4.load_m4(data, freq)
    except FileNotFoundError as err:
        raise DataContractError(f"--data {data}: {err}", field="data") from None
    if quick:
        ids = train["unique_id"].unique()[:40]
        train, test = train[train.unique_id.isin(ids)], test[test.unique_id.isin(ids)]
    models, times = [], {}
    t0 = time.perf_counter()
    sn = SeasonalNaiveForecaster(season_length=m, level=(80, 95), alias="SeasonalNaive")
    dtrain = to_dates(train, freq)
    sn.fit(dtrain)
    fc = sn.forecast(dtrain, h=h)
    last = train.groupby("unique_id")["ds"].max()
    fc["ds"] = fc["unique_id"].map(last) + fc.groupby("unique_id").cumcount() + 1  # back to M4's step index
    times["SeasonalNaive"] = time.perf_counter() - t0
    models.append("SeasonalNaive")
    table = m4.evaluate_m4(fc, train, test, freq, models).reset_index()
    table["seconds"] = table["model"].map(times)
    ours = table[table["model"] == "SeasonalNaive"].iloc[0]
    summary = {
        "owa": round(float(ours["OWA"]), 4),
        "smape": round(float(ours["sMAPE"]), 4),
        "mase": round(float(ours["MASE"]), 4),
        "coverage95": round(float(ours["coverage95"]), 4),
        "msis": round(float(ours["MSIS"]), 4),
    }
    return BenchResult([(f"M4 {freq}: h={h}, m={m}, {train['unique_id'].nunique()} series", table)], summary)
