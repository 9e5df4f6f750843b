"""``--write-defaults PATH``: the served setting the anomaly suite chooses on ALL its corpora.

The document (read back by :func:`govperf_ml.anomaly.defaults.load_defaults`) holds the
setting, the corpora it was chosen on, the rule, the date, whether the run was ``--quick``
and its seed, the setting's figures on each corpus, and each corpus's leave-one-out choice
with its figures (what the setting would have been without that corpus).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from govperf_ml.anomaly.defaults import load_defaults
from govperf_ml.bench.anomaly_suite import PROFILE_KEYS, SELECT_ON, SuiteScores, chosen, figure
from govperf_ml.bench.suite_detectors import SERVED

RULE = ("the served detector's setting with the highest mean, over all corpora, of the per-corpus "
        f"min-max-normalised {' and '.join(SELECT_ON)} (govperf_ml.evaluation.loco.choose_all)")


READS = ("the pipeline reads setting.stream, .base, .suppress and .own_quantile (sub-daily routing and the stream "
         "detector); setting.z_threshold is the suite's choice of the monthly threshold, reported only (the "
         "pipeline's ThresholdRule default applies)")


def _figures(res: SuiteScores, corpus: str, how: str) -> dict:
    cols = ["event_precision", "event_recall", "event_f1", "vus_pr"]
    cols += list(PROFILE_KEYS.values()) if res.corpora[corpus].stream else []
    vals = {c: figure(res, SERVED, corpus, c, how=how) for c in cols}
    return {c: round(v, 4) for c, v in vals.items() if np.isfinite(v)}


def defaults_doc(res: SuiteScores, *, seed: int, quick: bool) -> dict:
    corpora = list(res.corpora)
    return {
        "setting": chosen(res, SERVED, corpora[0], "all"),
        "chosen_on": corpora,
        "rule": RULE,
        "served": READS,
        "date": dt.date.today().isoformat(),
        "quick": quick,
        "seed": seed,
        "figures": {c: _figures(res, c, "all") for c in corpora},
        "leave_one_out": {c: {"setting": chosen(res, SERVED, c, "loco"), **_figures(res, c, "loco")}
                          for c in corpora},
    }


def write_defaults(res: SuiteScores, path: Path, *, seed: int, quick: bool) -> dict:
    """Write the document to ``path`` and read it back (it must load as the pipeline loads it)."""
    doc = defaults_doc(res, seed=seed, quick=quick)
    path = Path(path)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return load_defaults(path)
