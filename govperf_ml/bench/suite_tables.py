"""The tables and the RESULT summary of the anomaly suite (:mod:`govperf_ml.bench.anomaly_suite`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from govperf_ml.bench.anomaly_suite import (PROFILE_KEYS, SuiteScores, chosen, evaluate, figure, mean_vus,
                                            nab_protocol, setting_id, vus_at)
from govperf_ml.bench.suite_detectors import DETECTORS, SERVED
from govperf_ml.evaluation.nab_corpus import timestamps, window_bounds


def _short(setting: str) -> str:
    return ",".join(f"{k}={v}" for k, v in json.loads(setting).items())


def corpus_table(res: SuiteScores, c: str) -> pd.DataFrame:
    """One row per detector: its LOCO setting and figures, the in-corpus ones beside."""
    stream = res.corpora[c].stream
    rows = []
    for d in DETECTORS:
        setting = chosen(res, d, c)
        shown = res.scored[d][c].shown(setting)
        row = {"detector": d, "LOCO setting": ",".join(f"{k}={setting[k]}" for k in shown),
               "event_P": figure(res, d, c, "event_precision"), "event_R": figure(res, d, c, "event_recall"),
               "event_F1": figure(res, d, c, "event_f1"), "F1 in-corpus": figure(res, d, c, "event_f1", loco=False),
               "VUS-PR": figure(res, d, c, "vus_pr")}
        if stream:
            row |= {k: figure(res, d, c, k) for k in PROFILE_KEYS.values()}
            row["nab_standard in-corpus"] = figure(res, d, c, "nab_standard", loco=False)
        rows.append(row)
    return pd.DataFrame(rows)


def category_table(res: SuiteScores, c: str = "NAB") -> pd.DataFrame:
    """Event F1, VUS-PR and NAB standard per category, every detector at its LOCO setting."""
    corpus = res.corpora[c]
    cats: dict[str, list] = {}
    for k, cat in corpus.category.items():
        cats.setdefault(cat, []).append(k)
    rows = []
    for d in DETECTORS:
        setting = chosen(res, d, c)
        for cat, keys in sorted(cats.items()):
            ev = evaluate(corpus, res.scored[d][c], setting, keys)
            rows.append({"detector": d, "category": cat, "files": len(keys), "event_F1": ev["event_f1"],
                         "VUS-PR": mean_vus(vus_at(res, d, c, setting), keys), "nab_standard": ev.get("nab_standard", np.nan)})
    return pd.DataFrame(rows)


def kind_table(res: SuiteScores, c: str = "GutenTAG") -> pd.DataFrame:
    """Share of each anomaly kind's windows with a detection (LOCO settings): detector × kind."""
    corpus = res.corpora[c]
    out = {}
    for d in DETECTORS:
        det = res.scored[d][c].detections(json.loads(res.loco[d][c]))
        hits: dict[str, list] = {}
        for k, kinds in corpus.kinds.items():
            bounds = window_bounds(timestamps(corpus.data[k], k), corpus.windows.get(k, []))
            for kind, (lo, hi) in zip(kinds, bounds):
                hits.setdefault(kind, []).append(bool(det[k][lo:hi + 1].any()))
        out[d] = {kind: float(np.mean(v)) for kind, v in sorted(hits.items())}
    return pd.DataFrame(out).T.rename_axis("detector").reset_index()


def _best_baseline(res: SuiteScores, c: str, metric) -> tuple[str, float]:
    vals = {d: metric(d) for d in DETECTORS if d != SERVED}
    best = max(vals, key=lambda d: -np.inf if not np.isfinite(vals[d]) else vals[d])
    return best, vals[best]


def summary_table(res: SuiteScores) -> pd.DataFrame:
    rows = []
    for c in res.corpora:
        f1 = lambda d, c=c: figure(res, d, c, "event_f1")  # noqa: E731
        vus = lambda d, c=c: figure(res, d, c, "vus_pr")  # noqa: E731
        bf, bf_v = _best_baseline(res, c, f1)
        bv, bv_v = _best_baseline(res, c, vus)
        rows.append({"corpus": c, "F1 LOCO": f1(SERVED), "F1 in-corpus": figure(res, SERVED, c, "event_f1", loco=False),
                     "best baseline F1": bf_v, "(F1 baseline)": bf, "F1 ratio": _ratio(f1(SERVED), bf_v),
                     "VUS-PR": vus(SERVED), "best baseline VUS-PR": bv_v, "(VUS baseline)": bv,
                     "VUS ratio": _ratio(vus(SERVED), bv_v)})
    return pd.DataFrame(rows)


def served_table(res: SuiteScores) -> pd.DataFrame:
    """Per corpus: the served default's figures beside the LOCO and in-corpus ones."""
    rows = []
    for c, corpus in res.corpora.items():
        row = {"corpus": c, "served setting": ",".join(
            f"{k}={res.served[k]}" for k in res.scored[SERVED][c].shown(res.served))}
        cols = (("F1", "event_f1"), ("VUS-PR", "vus_pr")) + ((("NAB std", "nab_standard"),) if corpus.stream else ())
        for label, col in cols:
            for how, tag in (("served", "served"), ("loco", "LOCO"), ("in", "in-corpus")):
                row[f"{label} {tag}"] = figure(res, SERVED, c, col, how=how)
        rows.append(row)
    return pd.DataFrame(rows)


def served_note(res: SuiteScores) -> str:
    """Whether the served default is the setting chosen on all corpora (stream part, z_threshold)."""
    best = json.loads(res.everywhere[SERVED])
    same = lambda keys: all(res.served[k] == best[k] for k in keys)  # noqa: E731
    stream = same(("stream",) if best["stream"] == "off" else ("stream", "base", "suppress", "own_quantile"))
    return (f"served default: {_short(setting_id(res.served))} (stream part from the defaults file, z_threshold the "
            f"pipeline's); chosen on all corpora: {_short(res.everywhere[SERVED])}: stream part "
            f"{'IS' if stream else 'is NOT'} the served one, z_threshold {'IS' if same(('z_threshold',)) else 'is NOT'}")


def _ratio(ours: float, base: float) -> float:
    return float(ours / base) if base > 0 else float("inf") if ours > 0 else float("nan")


def build(res: SuiteScores) -> tuple[list, dict]:
    tables = []
    for c, corpus in res.corpora.items():
        extra = "; NAB profiles at the setting's own alarm level" if corpus.stream else ""
        tables.append((f"{c}: every detector at its LOCO setting (chosen on the other corpora){extra}; "
                       "in-corpus beside", corpus_table(res, c)))
    if "NAB" in res.corpora:
        proto = nab_protocol(res)
        tables.append(("NAB protocol (threshold optimised per profile on NAB; default settings)",
                       pd.DataFrame([{"detector": d, **v} for d, v in proto.items()])))
        tables.append(("NAB per category (LOCO settings)", category_table(res)))
    if "GutenTAG" in res.corpora and res.corpora["GutenTAG"].kinds:
        tables.append(("GutenTAG: share of anomalies detected per kind (LOCO settings)", kind_table(res)))
    summ = summary_table(res)
    tables.append(("Summary: served (ours) with LOCO settings vs the best baseline (LOCO too)", summ))
    chosen = pd.DataFrame([{"held-out corpus": c, "served setting chosen on the others": _short(s),
                            "chosen in-corpus": _short(res.in_corpus[SERVED][c])}
                           for c, s in res.loco[SERVED].items()])
    chosen.loc[len(chosen)] = ["(none: all corpora)", _short(res.everywhere[SERVED]), ""]
    tables.append(("LOCO choices of the served settings", chosen))
    tables.append(("Served default vs LOCO and in-corpus settings (served: what the service runs)", served_table(res)))
    summary = _result(res, summ, proto if "NAB" in res.corpora else {})
    return tables, summary


def _result(res: SuiteScores, summ: pd.DataFrame, proto: dict) -> dict:
    by = summ.set_index("corpus")
    r = lambda v: None if not np.isfinite(v) else round(float(v), 4)  # noqa: E731
    out = {k: r(v) for k, v in proto.get(SERVED, {}).items()}
    if "NAB" in by.index:
        out["loco_nab_standard"] = r(figure(res, SERVED, "NAB", "nab_standard"))
    for c, key in (("GutenTAG", "gutentag"), ("monthly", "monthly"), ("sample city", "sample_city")):
        if c in by.index:
            out[f"{key}_vus_pr"] = r(by.loc[c, "VUS-PR"])
            out[f"{key}_event_f1"] = r(by.loc[c, "F1 LOCO"])
    ratios = np.r_[summ["F1 ratio"].to_numpy(float), summ["VUS ratio"].to_numpy(float)]
    out["min_ratio_vs_best_baseline"] = r(np.nanmin(ratios)) if np.isfinite(ratios).any() else None
    return out
