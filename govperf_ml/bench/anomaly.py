"""Anomaly bench: NAB scores (three profiles) and event-level F1, plus the sample city by kind.

``--data`` is any folder in NAB's layout (``data/<category>/<file>.csv`` with
``timestamp,value``; ``labels/combined_windows.json``). Every detector is causal and runs
with the same parameters on every file (no per-file tuning). Detections are written in
NAB's results layout so the official scorer can be run on them.

Rows of the NAB table: ours (:class:`~govperf_ml.anomaly.stream.StreamingEnsemble`:
spatial, time-of-day (raw and log scale) and log-scale windowed-z members, each
calibrated by anomaly likelihood, repeats suppressed), the foundation's robust seasonal
z-score and NAB's windowed Gaussian. The sample-city table scores the served
:class:`~govperf_ml.anomaly.AnomalyPipeline` (robust z-score plus the data-quality,
misreporting and peer checks) on the monthly KPIs; the scale line times that pipeline on
10,000 monthly series of 60 points.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.anomaly import AnomalyPipeline, SeasonalRobustZScore
from govperf_ml.anomaly.stream import StreamingEnsemble
from govperf_ml.bench import BenchResult
from govperf_ml.contracts import DataContractError
from govperf_ml.evaluation import nab, nab_corpus
from govperf_ml.evaluation.nab_baselines import windowed_gaussian_scores

PROFILE_KEYS = {"standard": "nab_standard", "reward_low_FP_rate": "nab_low_fp", "reward_low_FN_rate": "nab_low_fn"}


def robust_z_scores(frame: pd.DataFrame) -> np.ndarray:
    """The foundation's robust seasonal z-score, squashed into [0, 1] for NAB."""
    df = pd.DataFrame({"unique_id": "s", "ds": pd.to_datetime(frame["timestamp"]), "y": frame["value"].astype(float)})
    df = df.drop_duplicates("ds", keep="last")
    z = SeasonalRobustZScore().fit().score_frame(df)["anomaly_score"].to_numpy()
    z = pd.Series(z, index=df.index).reindex(frame.index).ffill().fillna(0.0).to_numpy()
    return z / (1.0 + z)


def streaming_ensemble_scores(frame: pd.DataFrame) -> np.ndarray:
    """Our NAB detector: spatial, time-of-day and windowed-z members, anomaly likelihood,
    repeats suppressed."""
    return StreamingEnsemble().fit().score_values(frame["value"].to_numpy(float), frame["timestamp"])["alarm_score"]


DETECTORS = {
    "streaming ensemble (ours)": streaming_ensemble_scores,
    "robust seasonal z-score (foundation)": robust_z_scores,
    "windowed Gaussian (NAB baseline)": lambda f: windowed_gaussian_scores(f["value"].to_numpy(float)),
}
OURS = "streaming ensemble (ours)"


def _slug(name: str) -> str:
    """NAB's results layout names detectors in camelCase (no '_': NAB splits on it)."""
    words = name.split(" (")[0].replace("-", " ").split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def nab_table(folder: Path, results: Path | None, quick: bool) -> tuple[pd.DataFrame, dict]:
    data = nab_corpus.load_nab(folder)
    windows = nab_corpus.load_windows(folder)
    if not data:
        raise DataContractError(f"--data {folder}: no data/<category>/<file>.csv files found", field="data")
    if quick:
        keep = sorted(data)[:: max(1, len(data) // 6)]
        data = {k: data[k] for k in keep}
    rows, summary = [], {}
    for name, fn in DETECTORS.items():
        t0 = time.perf_counter()
        scores = {k: fn(v) for k, v in data.items()}
        secs = time.perf_counter() - t0
        res = nab.nab_scores(scores, data, windows)
        det = {k: s >= res["standard"]["threshold"] for k, s in scores.items()}
        ev = nab.event_prf(det, data, windows)
        row = {"detector": name}
        row.update({PROFILE_KEYS[p]: r["score"] for p, r in res.items()})
        row.update({"event_precision": ev["precision"], "event_recall": ev["recall"], "event_f1": ev["f1"],
                    "seconds": secs})
        rows.append(row)
        if results is not None:
            nab_corpus.write_nab_results(results, _slug(name), data, scores, windows)
        if name == OURS:
            summary = {k: round(row[k], 2) for k in PROFILE_KEYS.values()} | {"event_f1": round(ev["f1"], 4)}
    return pd.DataFrame(rows), summary


def sample_city_table(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recall of every injected anomaly kind on the sample city, and overall precision;
    and, per alert kind given, how many points were flagged and the share labelled."""
    from govperf_ml.sample_city import make_sample_city

    city = make_sample_city(seed=seed)
    dirs = dict(zip(city.indicators["unique_id"], city.indicators["direction"]))
    # the city's targets turn on the bunching check (as stored targets do at ingest)
    scored = AnomalyPipeline().fit(city.series).score(city.series, directions=dirs, targets=city.targets)
    flagged = scored[scored["is_anomaly"]]
    key = pd.MultiIndex.from_frame(flagged[["unique_id", "ds"]])
    lab = city.anomalies[city.anomalies["unique_id"].isin(city.series["unique_id"])]  # monthly KPIs only
    lab = lab.assign(ds=pd.to_datetime(lab["ds"]))
    lab["hit"] = pd.MultiIndex.from_frame(lab[["unique_id", "ds"]]).isin(key)
    per_event = lab.groupby(["kind", "event_id"])["hit"].any().reset_index()
    table = per_event.groupby("kind")["hit"].agg(events="size", detected="sum").reset_index()
    # the alert kind most often given to the points of each injected kind
    lab_kind = lab.merge(flagged[["unique_id", "ds", "kind"]].rename(columns={"kind": "alert_kind"}),
                         on=["unique_id", "ds"], how="left")
    top = lab_kind.dropna(subset=["alert_kind"]).groupby("kind")["alert_kind"].agg(lambda k: k.value_counts().index[0])
    table["alert_kind"] = table["kind"].map(top).fillna("")
    table["recall"] = table["detected"] / table["events"]
    labelled = pd.MultiIndex.from_frame(lab[["unique_id", "ds"]])
    precision = float(pd.MultiIndex.from_frame(flagged[["unique_id", "ds"]]).isin(labelled).mean()) if len(flagged) else 0.0
    total = pd.DataFrame([{"kind": "ALL (flagged-point precision %.3f)" % precision, "alert_kind": "",
                           "events": table["events"].sum(),
                           "detected": table["detected"].sum(),
                           "recall": table["detected"].sum() / table["events"].sum()}])
    table = pd.concat([table, total], ignore_index=True)
    by_alert = (flagged.assign(true=pd.MultiIndex.from_frame(flagged[["unique_id", "ds"]]).isin(labelled))
                .groupby("kind")["true"].agg(flagged="size", labelled="sum").reset_index()
                .rename(columns={"kind": "alert_kind"}))
    by_alert["precision"] = by_alert["labelled"] / by_alert["flagged"]
    return table, by_alert


def scale_table(n_series: int = 10_000, n_points: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2020-01-01", periods=n_points, freq="MS")
    y = 50 + 5 * np.sin(np.arange(n_points) * 2 * np.pi / 12)[None, :] + rng.normal(0, 1, (n_series, n_points))
    df = pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(n_series)], n_points),
                       "ds": np.tile(ds, n_series), "y": y.ravel()})
    model = AnomalyPipeline().fit(df.head(n_points))
    t0 = time.perf_counter()
    model.score(df)
    secs = time.perf_counter() - t0
    return pd.DataFrame([{"series": n_series, "points": n_points, "seconds": secs, "series_per_s": n_series / secs}])


def run(data: Path, *, results: Path | None = None, quick: bool = False) -> BenchResult:
    table, summary = nab_table(Path(data), results, quick)
    tables = [("NAB scores (threshold optimised per profile over the corpus; event-level P/R/F1 at the "
               "standard threshold)", table)]
    per_kind, per_alert = sample_city_table()
    tables.append(("Sample city: detected events per injected kind", per_kind))
    tables.append(("Sample city: flagged points per alert kind (precision = share of labelled points)", per_alert))
    tables.append(("Scale: monthly panel", scale_table(1_000 if quick else 10_000)))
    notes = [f"NAB results layout written to {results}"] if results else []
    return BenchResult(tables, summary, notes)
