"""Monthly anomaly bench: real monthly series with injected, labelled anomalies.

``govperf bench anomaly --monthly DIR``: ``DIR`` is a folder in the ``monthly_public``
layout (``pbs_scripts_monthly.csv.gz`` with ``unique_id, ds, Scripts``;
``aus_retail_turnover_monthly.csv.gz`` with ``unique_id, ds, y``). Three corpora:

* PBS prescriptions (no direction: demand) and the sample city's clean KPIs (with their
  directions) are IN-CORPUS: every setting of the pipeline and each baseline's threshold
  was chosen on them;
* ABS retail turnover (direction: higher is better) is HELD-OUT: scored once with those
  settings.

Each is injected by :func:`~govperf_ml.evaluation.inject.inject` (its own seed) and scored
by the served :class:`~govperf_ml.anomaly.AnomalyPipeline` (as ``govperf score anomaly``
and ``POST /v1/anomalies/score`` do; the invented targets are passed as stored targets
are at ingest) and by the baselines of :mod:`govperf_ml.evaluation.monthly_baselines`.
Metrics: event precision / recall / F1 (:func:`~govperf_ml.evaluation.metrics.event_f1`),
flagged-point precision (share of flagged points that are labelled) and recall per
injected kind. A last table (:mod:`~govperf_ml.bench.monthly_loco`) scores each corpus with
the setting chosen leave-one-corpus-out, beside the served default. VUS-PR is not computed: dtaianomaly is not installed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.bench import BenchResult
from govperf_ml.bench.monthly_loco import CANDIDATES, loco_table, make_pipeline
from govperf_ml.contracts import DS, ID, Y, DataContractError
from govperf_ml.evaluation.inject import KINDS, InjectionConfig, inject
from govperf_ml.evaluation.metrics import event_f1, prf
from govperf_ml.evaluation.monthly_baselines import BASELINES

FILES = {"PBS": ("pbs_scripts_monthly.csv.gz", "Scripts", None),
         "retail": ("aus_retail_turnover_monthly.csv.gz", "y", "higher")}
IN_CORPUS, HELD_OUT = ("PBS", "sample city"), ("retail",)
SERVED = "served pipeline (ours)"
EVENTS_PER_KIND = 20


@dataclass
class Corpus:
    series: pd.DataFrame
    labels: pd.DataFrame
    targets: pd.DataFrame
    directions: dict


def read_panel(folder: Path, name: str) -> pd.DataFrame:
    """One panel of ``folder`` as ``unique_id, ds, y``; a missing or malformed file is a
    DataContractError naming the file and the problem."""
    file, target, _ = FILES[name]
    path = Path(folder) / file
    if not path.is_file():
        raise DataContractError(f"--monthly {folder}: file {file} not found", field="monthly")
    try:
        frame = pd.read_csv(path)
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as err:
        raise DataContractError(f"--monthly: cannot read {path}: {err}", field="monthly") from None
    lacking = [c for c in (ID, DS, target) if c not in frame.columns]
    if lacking:
        raise DataContractError(f"--monthly: {path} lacks column(s) {lacking}", field="monthly")
    out = pd.DataFrame({ID: frame[ID].astype(str), DS: pd.to_datetime(frame[DS], errors="coerce"),
                        Y: pd.to_numeric(frame[target], errors="coerce")})
    if out[DS].isna().any():
        raise DataContractError(f"--monthly: {path} column 'ds' has values that are not dates", field="monthly")
    return out.sort_values([ID, DS], kind="stable").reset_index(drop=True)


def _config(seed: int, n: int, min_history: int) -> InjectionConfig:
    return InjectionConfig(events={k: n for k in KINDS}, seed=seed, min_history=min_history)


def build_corpora(folder: Path, *, seed: int = 0, quick: bool = False) -> dict[str, Corpus]:
    """The three injected corpora (quick: 40 series and 4 events per kind each)."""
    from govperf_ml.sample_city import make_sample_city

    n = 4 if quick else EVENTS_PER_KIND
    out = {}
    for offset, name in enumerate(FILES):
        panel = read_panel(folder, name)
        if quick:
            panel = panel[panel[ID].isin(panel[ID].unique()[:40])]
        dirs = {u: FILES[name][2] for u in panel[ID].unique()} if FILES[name][2] else {}
        inj = inject(panel, _config(seed + offset, n, 36), directions=dirs)
        out[name] = Corpus(inj.series, inj.labels, inj.targets, dirs)
    city = make_sample_city(seed=seed)
    series = city.series_clean
    if quick:
        series = series[series[ID].isin(series[ID].unique()[:40])]
    dirs = dict(zip(city.indicators[ID], city.indicators["direction"]))
    inj = inject(series, _config(seed + 7, n, 24), directions=dirs)
    out["sample city"] = Corpus(inj.series, inj.labels, inj.targets, dirs)
    return out


def served_flags(c: Corpus, pipeline: AnomalyPipeline | None = None) -> pd.DataFrame:
    """``unique_id, ds, flag`` of the served pipeline (or ``pipeline``; absent periods get a row)."""
    targets = c.targets.drop(columns=["target_id"]) if len(c.targets) else None
    scored = (pipeline or AnomalyPipeline()).fit(c.series).score(c.series, directions=c.directions or None, targets=targets)
    return scored[[ID, DS]].assign(flag=scored["is_anomaly"].astype(bool).to_numpy())


def evaluate(pred: pd.DataFrame, labels: pd.DataFrame) -> dict:
    """Event P/R/F1 with counts, flagged-point precision and recall per injected kind."""
    ev = event_f1(pred, labels)
    flagged = pred[pred["flag"]]
    lab_key = pd.MultiIndex.from_frame(labels[[ID, DS]])
    hit_points = pd.MultiIndex.from_frame(flagged[[ID, DS]]).isin(lab_key)
    fpp = float(hit_points.mean()) if len(flagged) else 0.0
    hit = pd.MultiIndex.from_frame(labels[[ID, DS]]).isin(pd.MultiIndex.from_frame(flagged[[ID, DS]]))
    per_event = labels.assign(hit=hit).groupby(["kind", "event_id"])["hit"].any()
    recall = per_event.groupby(level="kind").mean().to_dict()
    return ev | {"flagged_precision": fpp, "flagged": len(flagged), "kinds": recall}


def _baseline_scores(corpora: dict[str, Corpus]) -> dict[str, dict[str, np.ndarray]]:
    return {name: {c: fn(corpus.series) for c, corpus in corpora.items()} for name, (fn, _) in BASELINES.items()}


def _pooled(results: list[dict]) -> dict:
    out = prf(sum(r["tp"] for r in results), sum(r["fp"] for r in results), sum(r["fn"] for r in results))
    return out | {"flagged_precision": float(np.mean([r["flagged_precision"] for r in results]))}


def _choose(scores: dict[str, np.ndarray], grid, corpora: dict[str, Corpus]) -> float:
    """The threshold of the grid with the best pooled in-corpus event F1."""
    def f1(t):
        res = [evaluate(corpora[c].series[[ID, DS]].assign(flag=scores[c] >= t), corpora[c].labels)
               for c in IN_CORPUS]
        return _pooled(res)["f1"]
    return max(grid, key=lambda t: (f1(t), t))


def score_all(corpora: dict[str, Corpus]) -> tuple[dict, dict]:
    """results[detector][corpus] and the baselines' chosen thresholds."""
    t0 = time.perf_counter()
    results = {SERVED: {c: evaluate(served_flags(corpus), corpus.labels) for c, corpus in corpora.items()}}
    seconds = {SERVED: time.perf_counter() - t0}
    chosen = {}
    for name, per_corpus in _baseline_scores(corpora).items():
        chosen[name] = t = _choose(per_corpus, BASELINES[name][1], corpora)
        results[name] = {c: evaluate(corpora[c].series[[ID, DS]].assign(flag=per_corpus[c] >= t), corpora[c].labels)
                         for c in corpora}
    return results, chosen | {"served_seconds": seconds[SERVED]}


def _tables(results: dict, corpora: dict[str, Corpus]) -> list[tuple[str, pd.DataFrame]]:
    tables = []
    for c in [*IN_CORPUS, *HELD_OUT]:
        tag = "HELD-OUT" if c in HELD_OUT else "in-corpus"
        rows = [{"detector": d, "event_P": r[c]["precision"], "event_R": r[c]["recall"], "event_F1": r[c]["f1"],
                 "flagged_P": r[c]["flagged_precision"], **{k: r[c]["kinds"].get(k, np.nan) for k in KINDS}}
                for d, r in results.items()]
        n_ev = corpora[c].labels["event_id"].nunique()
        tables.append((f"{c} ({tag}; {corpora[c].series[ID].nunique()} series, {n_ev} injected events): "
                       "event P/R/F1, flagged-point precision, recall per kind", pd.DataFrame(rows)))
    side = []
    for d, r in results.items():
        pool = _pooled([r[c] for c in IN_CORPUS])
        side.append({"detector": d, "in-corpus F1": pool["f1"], "in-corpus flagged_P": pool["flagged_precision"],
                     "HELD-OUT F1": r["retail"]["f1"], "HELD-OUT flagged_P": r["retail"]["flagged_precision"]})
    tables.append(("In-corpus (PBS + sample city, pooled) vs HELD-OUT (retail)", pd.DataFrame(side)))
    return tables


def run(folder: Path, *, seed: int = 0, quick: bool = False) -> BenchResult:
    corpora = build_corpora(Path(folder), seed=seed, quick=quick)
    results, chosen = score_all(corpora)
    ours = results[SERVED]
    pool = _pooled([ours[c] for c in IN_CORPUS])
    summary = {"in_corpus_event_f1": round(pool["f1"], 4), "held_out_event_f1": round(ours["retail"]["f1"], 4),
               "in_corpus_flagged_precision": round(pool["flagged_precision"], 4),
               "held_out_flagged_precision": round(ours["retail"]["flagged_precision"], 4)}
    for kind in ("missing", "units_error", "dip"):
        summary[f"{kind}_recall"] = {c: round(ours[c]["kinds"].get(kind, float("nan")), 3) for c in corpora}
    notes = [f"baseline thresholds chosen on PBS + sample city: {chosen}",
             "VUS-PR: not computed (dtaianomaly is not installed)"]
    tables = _tables(results, corpora)
    loco = {name: {c: evaluate(served_flags(corpus, make_pipeline(kw)), corpus.labels) for c, corpus in corpora.items()}
            for name, kw in CANDIDATES.items()}
    table = loco_table(loco, next(iter(CANDIDATES)))
    tables.append(("Leave-one-corpus-out: each corpus scored with the setting chosen on the other two "
                   "(best mean event F1) beside the served default", table))
    summary["loco_event_f1"] = {r["corpus"]: round(r["LOCO F1"], 4) for r in table.to_dict("records")}
    summary["loco_flagged_precision"] = {r["corpus"]: round(r["LOCO flagged_P"], 4) for r in table.to_dict("records")}
    return BenchResult(tables, summary, notes)
