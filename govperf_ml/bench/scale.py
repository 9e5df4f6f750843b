"""Scale bench: the batch paths on synthetic panels of growing size, one process and Dask.

Panels are grown from the sample city (:func:`govperf_ml.sample_city.make_sample_city`):

* monthly KPIs: virtual units ``U0000000 ...``, each a copy of one of the city's twelve
  districts (its thirty indicators, sixty months, injected anomalies and missing values
  included) with its own level (x exp(N(0, 0.1))) and noise; written unit by unit, as
  exports usually are, so the anomaly peer groups (indicators) are scattered;
* daily demand: copies of the city's 26 hotline and service-hall series over the last
  two years, with their own level and noise.

Each panel is written once to Parquet; then every path scores it with the sample city's
model (the anomaly pipeline, the default forecaster) through :func:`govperf_ml.batch.run_batch`
in a fresh process, so the peak memory (``ru_maxrss`` of the driver plus every Dask
worker) belongs to that run alone. A straight line ``seconds = a + b x series`` is fitted
per path, and projected to the national panel (2,850 county-level units x 60 indicators =
171,000 monthly series; 30,000 daily demand series) on N workers at the 1 -> 2 worker
efficiency measured here (an assumption beyond two workers).
"""

from __future__ import annotations

import multiprocessing
import pickle
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.bench import BenchResult
from govperf_ml.contracts import DS, ID, Y

MONTHLY_SIZES = (10_000, 100_000, 1_000_000)
DAILY_SIZES = (1_000, 10_000, 50_000)
NATIONAL = {"monthly": 2_850 * 60, "daily": 30_000}
PROJECT_WORKERS = (1, 2, 8, 32)
ONE_MILLION = 990_000  # "1M" monthly series are whole units of 30 indicators: 999,990
_UNITS_PER_BATCH = 1_000


# ---------------------------------------------------------------------------- panels
def _monthly_base(city) -> tuple[np.ndarray, list[str], pd.DatetimeIndex]:
    """The city's KPIs as (district, indicator, month) values, the indicators and the months."""
    s = city.series.assign(unit=city.series[ID].str.split("|").str[0], ind=city.series[ID].str.split("|").str[1])
    cube = s.set_index(["unit", "ind", DS])[Y].unstack(DS)
    units, inds = cube.index.levels[0], list(cube.index.levels[1])
    values = cube.reindex(pd.MultiIndex.from_product([units, inds])).to_numpy().reshape(len(units), len(inds), -1)
    return values, inds, pd.DatetimeIndex(cube.columns)


def write_monthly(city, n_series: int, path: Path, seed: int = 0) -> int:
    """``n_series`` monthly KPI series (rounded to whole units of 30 indicators) to Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base, inds, months = _monthly_base(city)
    n_units = max(1, n_series // len(inds))
    rng = np.random.default_rng(seed)
    writer = None
    for u0 in range(0, n_units, _UNITS_PER_BATCH):
        u = np.arange(u0, min(n_units, u0 + _UNITS_PER_BATCH))
        vals = base[u % len(base)]  # (units, indicators, months)
        sd = np.nanstd(vals, axis=2, keepdims=True)
        vals = vals * np.exp(rng.normal(0, 0.1, vals.shape[:2] + (1,))) + rng.normal(0, 0.2, vals.shape) * sd
        ids = np.char.add(np.char.add(np.char.add("U", np.char.zfill(u.astype(str), 7))[:, None], "|"),
                          np.array(inds)[None, :]).ravel()
        table = pa.table({ID: np.repeat(ids, len(months)), DS: np.tile(months.to_numpy(), len(ids)),
                          Y: vals.reshape(-1)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    return n_units * len(inds)


def write_daily(city, n_series: int, path: Path, seed: int = 0, days: int = 730) -> int:
    """``n_series`` daily demand series (the last ``days`` days) to Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = city.demand[city.demand[DS] > city.demand[DS].max() - pd.Timedelta(days=days)]
    wide = d.pivot(index=ID, columns=DS, values=Y)
    base, names, dates = wide.to_numpy(), wide.index.to_numpy(str), wide.columns.to_numpy()
    rng = np.random.default_rng(seed)
    writer = None
    for k0 in range(0, n_series, _UNITS_PER_BATCH):
        k = np.arange(k0, min(n_series, k0 + _UNITS_PER_BATCH))
        vals = base[k % len(base)]
        vals = np.maximum(0.0, vals * np.exp(rng.normal(0, 0.1, (len(k), 1)))
                          + rng.normal(0, 0.05, vals.shape) * np.nanstd(vals, axis=1, keepdims=True)).round()
        ids = np.char.add(np.char.add(np.char.add("H", np.char.zfill(k.astype(str), 6)), "|"), names[k % len(base)])
        table = pa.table({ID: np.repeat(ids, len(dates)), DS: np.tile(dates, len(ids)), Y: vals.reshape(-1)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    return int(n_series)


def _models(city, folder: Path, caps) -> dict[str, Path]:
    """The sample city's anomaly pipeline and default forecaster, pickled for the runs."""
    from govperf_ml.anomaly import AnomalyPipeline
    from govperf_ml.training import default_forecaster

    paths = {}
    for cap in caps:
        if cap == "anomaly":
            est = AnomalyPipeline().fit(city.series, city.anomalies)
        else:
            demand = city.demand[city.demand[DS] > city.demand[DS].max() - pd.Timedelta(days=730)]
            est = default_forecaster(28).fit(demand)
        paths[cap] = folder / f"{cap}.pkl"
        paths[cap].write_bytes(pickle.dumps(est))
    return paths


# ---------------------------------------------------------------------------- one run
def _options(cap: str) -> dict:
    return {"directions": None} if cap == "anomaly" else {"h": 28, "level": [80, 95], "future": None}


def measure(cap: str, model: Path, panel: Path, workers: int | None, chunk_rows: int,
            processes: bool = True) -> dict:
    """Score ``panel`` with the pickled model (in a fresh process: see :func:`_in_fresh_process`)."""
    from govperf_ml.batch import BatchJob, run_batch
    from govperf_ml.parallel import cluster, peak_rss, warm, workers_rss

    est = pickle.loads(Path(model).read_bytes())
    job = BatchJob(cap, est, "bench", _options(cap), chunk_rows=chunk_rows)
    t0 = time.perf_counter()
    with cluster(workers=workers, processes=processes) as client, \
            tempfile.TemporaryDirectory(prefix="govperf-scale-") as out:
        warm(client, est)
        started = time.perf_counter()
        rows = run_batch(job, panel, Path(out) / "out.parquet", client=client)
        seconds = time.perf_counter() - started
        rss = peak_rss() + workers_rss(client)
    return {"seconds": seconds, "startup_s": started - t0, "rows_out": rows, "peak_rss_gb": rss / 2**30}


def _in_fresh_process(*args, in_process: bool = False) -> dict:
    if in_process:  # smoke tests: this process, workers as threads (memory figures not per run)
        return measure(*args, processes=False)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(measure, *args).result()


# ---------------------------------------------------------------------------- the bench
PANELS = (("monthly", "anomaly", write_monthly), ("daily", "forecast", write_daily))


def run(*, sizes=MONTHLY_SIZES, daily_sizes=DAILY_SIZES, workers: int = 2, chunk_rows: int = 500_000,
        seed: int = 0, in_process: bool = False, max_dask_series: int | None = None) -> BenchResult:
    """Every panel size through one process and through a LocalCluster of ``workers``.

    ``in_process`` (smoke tests) runs everything here with the workers as threads: quicker
    to start, but the times and peak memory are not those of separate runs.
    ``max_dask_series``: larger panels run in one process only (time-boxed runs)."""
    from govperf_ml.sample_city import make_sample_city

    city = make_sample_city(seed=seed)
    wanted = {"monthly": list(sizes), "daily": list(daily_sizes)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="govperf-scale-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        models = _models(city, folder, caps=[cap for kind, cap, _ in PANELS if wanted[kind]])
        rows.append({"panel": "sample city", "stage": "fit models", "seconds": time.perf_counter() - t0})
        for kind, cap, write in PANELS:
            for n in wanted[kind]:
                panel = folder / f"{kind}-{n}.parquet"
                t0 = time.perf_counter()
                n_series = write(city, int(n), panel, seed)
                rows.append({"panel": kind, "series": n_series, "stage": "write panel",
                             "seconds": time.perf_counter() - t0, "rows": _rows(panel)})
                for w in (None, *([1] if workers > 1 else []), workers):
                    if w and max_dask_series and n_series > max_dask_series:
                        continue
                    res = _in_fresh_process(cap, models[cap], panel, w, chunk_rows, in_process=in_process)
                    rows.append({"panel": kind, "series": n_series, "stage": cap, "workers": w or 1,
                                 "path": _path(w, workers), "rows": res.pop("rows_out"), **res})
                panel.unlink()
    table = pd.DataFrame(rows)
    table["series_per_s"] = table["series"] / table["seconds"]
    curves, projection = _curves(table, workers)
    return BenchResult(
        tables=[("Scale: seconds, series/s and peak memory per stage", table), ("Cost curves", curves),
                (f"Projected minutes for the national panel ({NATIONAL['monthly']:,} monthly, "
                  f"{NATIONAL['daily']:,} daily series)", projection)],
        summary=_summary(table, curves, workers),
        notes=_notes(table, curves, workers),
    )


def _path(w: int | None, workers: int) -> str:
    """'1 process' (no Dask), 'dask 1 worker' (the Dask path's own baseline) or 'dask' (N)."""
    if not w:
        return "1 process"
    return "dask 1 worker" if w == 1 and workers > 1 else "dask"


def _rows(panel: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(panel).metadata.num_rows)


def _curves(table: pd.DataFrame, workers: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``seconds = a + b x series`` per capability and path; the 1 -> N efficiency at the
    largest panel; minutes projected for the national panel on N workers."""
    runs = table[table["stage"].isin(["anomaly", "forecast"])]
    curves, projection = [], []
    for (cap, path), g in runs.groupby(["stage", "path"], sort=False):
        x, t = g["series"].to_numpy(float), g["seconds"].to_numpy(float)
        b, a = np.polyfit(x, t, 1) if len(g) > 1 else (t[0] / x[0], 0.0)
        curves.append({"stage": cap, "path": path, "a_seconds": a, "b_ms_per_series": 1000 * b,
                       "largest": int(x.max())})
    curves = pd.DataFrame(curves)
    for cap, g in runs.groupby("stage", sort=False):
        with_dask = g.loc[g["path"] == "dask", "series"]
        big = g[g["series"] == with_dask.max()].set_index("path")["seconds"] if len(with_dask) else pd.Series(dtype=float)
        eff = float(big["1 process"] / big["dask"] / workers) if {"1 process", "dask"} <= set(big.index) else np.nan
        curves.loc[curves["stage"] == cap, "efficiency_1_to_n"] = eff
        # the Dask path against itself: 1 worker -> N workers (the same driver, transfers and start-up)
        curves.loc[curves["stage"] == cap, "dask_efficiency_1_to_n"] = (
            float(big["dask 1 worker"] / big["dask"] / workers) if {"dask 1 worker", "dask"} <= set(big.index)
            else np.nan)
        one = curves[(curves["stage"] == cap) & (curves["path"] == "1 process")].iloc[0]
        n = NATIONAL["monthly" if cap == "anomaly" else "daily"]
        t1 = one["a_seconds"] + one["b_ms_per_series"] / 1000 * n
        projection.append({"stage": cap, "series": n, **{f"{k} workers": (t1 / (k * (eff if k > 1 else 1.0))) / 60
                                                         for k in PROJECT_WORKERS}})
    return curves, pd.DataFrame(projection)


def _summary(table: pd.DataFrame, curves: pd.DataFrame, workers: int) -> dict:
    def rate(cap: str, path: str):
        g = table[(table["stage"] == cap) & (table["path"] == path)]
        return round(float(g.loc[g["series"].idxmax(), "series_per_s"]), 1) if len(g) else None

    big = table[(table["series"] >= ONE_MILLION) & table["stage"].isin(["anomaly", "forecast"])]
    eff = curves.drop_duplicates("stage").set_index("stage")["efficiency_1_to_n"] if len(curves) else pd.Series()
    return {
        "anomaly_series_per_s_1proc": rate("anomaly", "1 process"),
        "anomaly_series_per_s_dask": rate("anomaly", "dask"),
        "forecast_series_per_s_1proc": rate("forecast", "1 process"),
        "forecast_series_per_s_dask": rate("forecast", "dask"),
        "peak_rss_gb_1m_series": round(float(big["peak_rss_gb"].max()), 2) if len(big) else None,
        "anomaly_efficiency_1_to_n": round(float(eff["anomaly"]), 3) if "anomaly" in eff and eff["anomaly"] == eff["anomaly"]
        else None,
        "anomaly_dask_efficiency_1_to_n": _rounded(curves, "anomaly", "dask_efficiency_1_to_n"),
        "forecast_dask_efficiency_1_to_n": _rounded(curves, "forecast", "dask_efficiency_1_to_n"),
        "workers": workers,
    }


def _rounded(curves: pd.DataFrame, stage: str, column: str) -> float | None:
    if column not in curves or not (curves["stage"] == stage).any():
        return None
    value = float(curves.loc[curves["stage"] == stage, column].iloc[0])
    return round(value, 3) if value == value else None


def _notes(table: pd.DataFrame, curves: pd.DataFrame, workers: int) -> list[str]:
    notes = [f"dask = a LocalCluster of {workers} single-threaded worker processes started per run (its start-up, "
             "startup_s, is not in seconds); peak_rss_gb = peak RSS of the driver plus every worker.",
             "Projections beyond the measured workers assume the measured 1 -> N efficiency holds."]
    for _, r in table[(table["stage"] == "anomaly") & (table["series"] >= ONE_MILLION)].iterrows():
        notes.append(f"goal: 1M monthly series scored in {r['seconds']:.0f} s on the {r['path']} path "
                     f"(goal < 600 s), peak {r['peak_rss_gb']:.2f} GB (goal < 8 GB)")
    for _, r in curves.drop_duplicates("stage").iterrows():
        notes.append(f"goal: {r['stage']} 1 -> {workers} workers at {r['efficiency_1_to_n']:.0%} of ideal against one "
                     f"process, {r.get('dask_efficiency_1_to_n', float('nan')):.0%} against one Dask worker "
                     "(goal >= 85 %)")
    return notes
