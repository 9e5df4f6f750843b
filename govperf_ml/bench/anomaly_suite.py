"""The multi-corpus anomaly suite: ``govperf bench anomaly --suite ROOT``.

Four corpora (:mod:`govperf_ml.bench.suite_corpora`: NAB, GutenTAG, the injected monthly
panels, the sample city), the same detectors on each (:mod:`govperf_ml.bench.
suite_detectors`: the served ones and five baselines), in one run. Every setting of every
detector's grid is scored on every corpus (event precision / recall / F1; on the streams
also NAB's three profiles at the setting's own alarm level); a threshold-free VUS-PR
(:mod:`govperf_ml.evaluation.vus`) is computed once per detector and corpus.

Leave-one-corpus-out (:mod:`govperf_ml.evaluation.loco`): the setting each detector uses
on a corpus is chosen on the OTHER corpora by the mean min-max-normalised event F1 (and,
on the streams, NAB standard score floored at 0); the in-corpus figure (the setting chosen
on the corpus itself) is reported beside it, and the served default (the setting chosen on
ALL corpora, :mod:`govperf_ml.bench.suite_defaults`) beside both. NAB's own protocol (threshold optimised per profile
on the corpus, served defaults) is reported too, as ``nab_standard`` etc.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from govperf_ml.bench import BenchResult
from govperf_ml.bench.suite_corpora import load_suite
from govperf_ml.bench.suite_detectors import DETECTORS, SERVED, served_default, settings
from govperf_ml.evaluation import nab
from govperf_ml.evaluation.loco import choose_all, choose_in_corpus, choose_loco
from govperf_ml.evaluation.vus import vus_pr

PROFILE_KEYS = {"standard": "nab_standard", "reward_low_FP_rate": "nab_low_fp", "reward_low_FN_rate": "nab_low_fn"}
#: what the LOCO rule selects on. NAB's standard score is floored at 0, NAB's null detector: below
#: it a score only counts false alarms, without bound, and one hopeless candidate in the grid (the
#: seasonal z-score on streams scores -685) would squeeze every useful setting's normalised NAB
#: score to ~1, so that adding a candidate changed the choice among the others.
SELECT_ON = ("event_f1", "nab_vs_null")
VUS = {True: {"max_buffer_size": 16, "max_samples": 100}, False: {"max_buffer_size": 3, "max_samples": 100}}


@dataclass
class SuiteScores:
    corpora: dict
    scored: dict      # {detector: {corpus: Scored}}
    vus: dict         # {detector: {corpus: {score kind: {key: VUS-PR}}}} (kind None: the detector's one score)
    table: object     # long DataFrame: detector, corpus, setting, event_*, nab_*
    loco: dict        # {detector: {corpus: setting id}}
    in_corpus: dict   # {detector: {corpus: setting id}}
    seconds: dict     # {detector: seconds scoring}
    everywhere: dict  # {detector: setting id chosen on all corpora (what a new corpus would get)}
    served: dict      # the served default setting (defaults file + the pipeline's threshold)


def setting_id(setting: dict) -> str:
    return json.dumps(setting, sort_keys=True)


def evaluate(corpus, scored, setting: dict, keys=None) -> dict:
    """Event P/R/F1 (and on streams NAB's profiles at the setting's alarm level) on ``keys``."""
    keys = sorted(corpus.data) if keys is None else keys
    det = scored.detections(setting)
    ev = corpus.event_prf({k: det[k] for k in keys})
    row = {"event_precision": ev["precision"], "event_recall": ev["recall"], "event_f1": ev["f1"]}
    if corpus.stream:
        alarm, threshold = scored.alarms(setting)
        res = nab.nab_scores({k: alarm[k] for k in keys}, corpus.data, corpus.windows, threshold=threshold)
        row |= {PROFILE_KEYS[p]: r["score"] for p, r in res.items()}
        row["nab_vs_null"] = max(row["nab_standard"], 0.0)
    return row


def _score_rows(name: str, corpus_name: str, corpus, scored) -> list[dict]:
    rows, memo = [], {}
    for s in settings(name):
        key = scored.key(s)
        if key not in memo:
            memo[key] = evaluate(corpus, scored, s)
        rows.append({"detector": name, "corpus": corpus_name, "setting": setting_id(s), **memo[key]})
    return rows


def score_suite(corpora: dict) -> SuiteScores:
    import pandas as pd

    scored, vus, rows, secs = {}, {}, [], {}
    for name, (fn, _grid) in DETECTORS.items():
        t0 = time.perf_counter()
        scored[name] = {c: fn(corpus) for c, corpus in corpora.items()}
        secs[name] = time.perf_counter() - t0
        vus[name] = {c: _vus(corpus, scored[name][c]) for c, corpus in corpora.items()}
        for c, corpus in corpora.items():
            rows += _score_rows(name, c, corpus, scored[name][c])
    table = pd.DataFrame(rows)
    for col in SELECT_ON:
        if col not in table.columns:
            table[col] = np.nan
    loco, in_corpus, everywhere = {}, {}, {}
    for name, part in table.groupby("detector", sort=False):
        loco[name] = choose_loco(part, SELECT_ON) if part["corpus"].nunique() > 1 else {}
        in_corpus[name] = choose_in_corpus(part, SELECT_ON)
        everywhere[name] = choose_all(part, SELECT_ON)
    return SuiteScores(corpora, scored, vus, table, loco, in_corpus, secs, everywhere, served_default())


def _vus(corpus, scored) -> dict:
    """``{score kind: {key: VUS-PR}}`` of each continuous score a detector has on a corpus."""
    labels = corpus.labels
    return {kind: {k: vus_pr(labels[k], score[k], **VUS[corpus.stream]) for k in corpus.data}
            for kind, score in scored.kinds().items()}


def vus_at(res: SuiteScores, detector: str, corpus: str, setting: dict) -> dict:
    """``{key: VUS-PR}`` of the score ``setting`` uses."""
    return res.vus[detector][corpus][res.scored[detector][corpus].kind(setting)]


def mean_vus(values: dict, keys=None) -> float:
    v = [values[k] for k in (values if keys is None else keys) if np.isfinite(values[k])]
    return float(np.mean(v)) if v else float("nan")


def chosen(res: SuiteScores, detector: str, corpus: str, how: str = "loco") -> dict:
    """The setting used on a corpus: ``loco`` (chosen on the others), ``in`` (on itself),
    ``all`` (on every corpus) or ``served`` (the served default; the served detector only)."""
    if how == "served":
        return dict(res.served)
    ids = {"loco": res.loco[detector].get(corpus), "in": res.in_corpus[detector][corpus],
           "all": res.everywhere[detector]}
    return json.loads(ids[how])


def figure(res: SuiteScores, detector: str, corpus: str, column: str, *, loco: bool = True,
           how: str | None = None) -> float:
    """A detector's figure on a corpus with its LOCO (or in-corpus, ``how``) setting;
    ``column`` ``vus_pr`` is the mean VUS-PR of the score that setting uses."""
    setting = chosen(res, detector, corpus, how or ("loco" if loco else "in"))
    if column == "vus_pr":
        return mean_vus(vus_at(res, detector, corpus, setting))
    t = res.table
    row = t[(t.detector == detector) & (t.corpus == corpus) & (t.setting == setting_id(setting))]
    if len(row):
        return float(row[column].iloc[0])
    return float(evaluate(res.corpora[corpus], res.scored[detector][corpus], setting).get(column, np.nan))


def nab_protocol(res: SuiteScores, corpus: str = "NAB") -> dict:
    """NAB's own protocol: threshold optimised per profile on the corpus, default settings."""
    c = res.corpora[corpus]
    out = {}
    for name in DETECTORS:
        scored = res.scored[name][corpus]
        alarm = scored.alarms(res.served)[0] if name == SERVED else scored.score
        out[name] = {PROFILE_KEYS[p]: r["score"] for p, r in nab.nab_scores(alarm, c.data, c.windows).items()}
    return out


def run(root, *, seed: int = 0, quick: bool = False, write_defaults=None, results=None) -> BenchResult:
    """The suite; ``write_defaults`` (a path): write the setting chosen on all corpora there;
    ``results`` (a folder): the long score table as ``anomaly_suite_scores.csv``."""
    from govperf_ml.bench import suite_defaults, suite_tables

    corpora = load_suite(root, seed=seed, quick=quick)
    res = score_suite(corpora)
    tables, summary = suite_tables.build(res)
    notes = ["corpora: " + ", ".join(f"{n} ({len(c.data)} series, {sum(len(f) for f in c.data.values())} rows)"
                                      for n, c in corpora.items()),
             "LOCO: each detector's setting on a corpus is chosen on the other three (mean min-max-normalised "
             "event F1, and on the streams NAB standard floored at 0, the null detector's score); in-corpus = "
             "chosen on the corpus itself; served = chosen on all four.",
             f"VUS-PR: dtaianomaly VolumeUnderPR (streams {VUS[True]}, panels {VUS[False]}), mean over series "
             "with labels.",
             suite_tables.served_note(res),
             "seconds scoring: " + ", ".join(f"{k} {v:.1f}" for k, v in res.seconds.items())]
    if results is not None:
        Path(results).mkdir(parents=True, exist_ok=True)
        res.table.to_csv(Path(results) / "anomaly_suite_scores.csv", index=False)
        notes.append(f"every setting's figures: {Path(results) / 'anomaly_suite_scores.csv'}")
    if write_defaults is not None:
        doc = suite_defaults.write_defaults(res, write_defaults, seed=seed, quick=quick)
        notes.append(f"defaults written to {write_defaults}: {doc['setting']} (chosen on {', '.join(doc['chosen_on'])})"
                     + (" -- from a --quick run" if quick else ""))
    if quick:
        notes.append(f"--quick: 6 NAB and 6 GutenTAG files (seed {seed}), 40 series per monthly panel and of the "
                     "sample city")
    return BenchResult(tables, summary, notes)
