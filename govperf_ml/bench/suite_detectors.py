"""The detectors of the anomaly suite: the served ones and the baselines, with their settings.

Each detector scores a whole corpus once (:meth:`Detector.score` →
:class:`Scored`) and then turns those scores into alarms for any of its settings
(:meth:`Scored.alarms`) without scoring again, so every setting of the grid is evaluated
on every corpus for the leave-one-corpus-out choice.

* **served** — what the service runs: on the streams the detector the pipeline routes
  sub-daily series with enough history to, one of ``stream`` = ``ensemble``
  (:class:`~govperf_ml.anomaly.stream.StreamingEnsemble`), ``gaussian``
  (:class:`~govperf_ml.anomaly.stream_gaussian.WindowedGaussian`) or ``off`` (no routing:
  the monthly checks' main detector, the seasonal robust z-score, flags ``|z| >=
  z_threshold``; its panel checks and rules are not run), with its alarm level ``base``,
  suppression window ``suppress`` and per-series level ``own_quantile`` (over the last
  8640 rows, from row 300 on) applied to its ``anomaly_score`` exactly as its own
  ``SuppressRepeats`` does; on the monthly panels the :class:`~govperf_ml.anomaly.AnomalyPipeline` with the
  threshold of its :class:`~govperf_ml.postprocess.threshold.ThresholdRule`
  (``z_threshold``), given directions and stored targets as at ingest.
* **baselines** — NAB's windowed Gaussian, the robust seasonal z-score, and dtaianomaly's
  HistogramBasedOutlierScore, KNearestNeighbors and LocalOutlierFactor on sliding windows
  (32 values, stride 4 on the streams; 12 months, stride 1 on the panels), fitted on each
  whole series, so not causal: they see the future. (dtaianomaly's IsolationForest costs
  0.3 s per series fit: two minutes on the sample city alone, so it is left out.) Their setting is the score
  threshold. Their VUS-PR needs no setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from govperf_ml.anomaly.defaults import STREAM_KINDS, load_defaults, stream_detector
from govperf_ml.contracts import DS, ID, Y
from govperf_ml.evaluation.nab_baselines import windowed_gaussian_scores
from govperf_ml.postprocess.likelihood import own_level, suppress_repeats

SERVED = "served (ours)"
STREAM_GRID = {"stream": STREAM_KINDS, "base": (0.25, 0.33, 0.4, 0.5, 0.6), "suppress": (60, 125, 250),
               "own_quantile": (0.0, 0.99, 0.999)}
PANEL_GRID = {"z_threshold": (3.0, 3.5, 4.0, 5.0)}


def served_default(path=None) -> dict:
    """The setting the service runs: the defaults file's stream part, the pipeline's own
    threshold rule for the panels."""
    from govperf_ml.postprocess.threshold import ThresholdRule

    s = load_defaults(path)["setting"]
    return {"stream": s["stream"], "base": s["base"], "suppress": s["suppress"],
            "own_quantile": s.get("own_quantile", 0.0), "z_threshold": ThresholdRule().threshold}


def _grid(spec: dict) -> list[dict]:
    return [dict(zip(spec, values)) for values in product(*spec.values())]


@dataclass
class Scored:
    """One detector's scores of one corpus: ``score`` (continuous, for VUS-PR) and a rule
    ``alarms(setting) -> ({key: alarm score}, threshold)`` (alarm where ``score >= threshold``)."""

    score: dict
    rule: object
    relevant: tuple  # the setting's keys this corpus' alarms depend on
    cache: dict = field(default_factory=dict)

    def key(self, setting: dict) -> tuple:
        return tuple((k, setting[k]) for k in self.relevant)

    def kind(self, setting: dict):
        """Which continuous score ``setting`` uses (for VUS-PR): one per detector here."""
        return None

    def kinds(self) -> dict:
        return {None: self.score}

    def shown(self, setting: dict) -> list:
        """The keys of ``setting`` that matter on this corpus (for the tables)."""
        return [k for k in setting if k in self.relevant]

    def alarms(self, setting: dict) -> tuple[dict, float]:
        key = self.key(setting)
        if key not in self.cache:
            self.cache[key] = self.rule(setting)
        return self.cache[key]

    def detections(self, setting: dict) -> dict:
        alarm, threshold = self.alarms(setting)
        return {k: v >= threshold for k, v in alarm.items()}


@dataclass
class StreamFamily(Scored):
    """The served detectors of streams (``stream`` = ensemble / gaussian / off), each scored
    once; ``score`` is the first kind's, ``by_kind`` holds all."""

    by_kind: dict = field(default_factory=dict)

    def key(self, setting: dict) -> tuple:
        if setting["stream"] == "off":
            return ("off", setting["z_threshold"])
        return (setting["stream"], setting["base"], setting["suppress"], setting["own_quantile"])

    def kind(self, setting: dict):
        return setting["stream"]

    def kinds(self) -> dict:
        return self.by_kind

    def shown(self, setting: dict) -> list:
        return ["stream", "z_threshold"] if setting["stream"] == "off" else [
            "stream", "base", "suppress", "own_quantile"]


def _filled(frame: pd.DataFrame) -> np.ndarray:
    return frame["value"].ffill().bfill().fillna(0.0).to_numpy(float)


# ---------------------------------------------------------------------------------------
# served
# ---------------------------------------------------------------------------------------
def _stream_scores(corpus, kind: str) -> dict:
    model = stream_detector({"stream": kind, "base": 0.33, "suppress": 0}).fit()
    return {k: model.score_values(_filled(f), f["timestamp"].to_numpy())["anomaly_score"]
            for k, f in corpus.data.items()}


def _served_stream(corpus) -> Scored:
    """Every stream kind scored once; alarms per setting by threshold and suppression."""
    by_kind = {kind: _stream_scores(corpus, kind) for kind in STREAM_KINDS if kind != "off"}
    by_kind["off"] = robust_z(corpus).score

    def rule(s):
        if s["stream"] == "off":
            return by_kind["off"], s["z_threshold"]
        return {k: suppress_repeats(v, base=own_level(v, base=s["base"], quantile=s["own_quantile"]),
                                    window=s["suppress"]) for k, v in by_kind[s["stream"]].items()}, s["base"]
    return StreamFamily(by_kind[STREAM_KINDS[0]], rule, tuple(STREAM_GRID) + tuple(PANEL_GRID), by_kind=by_kind)


def _served_panel(corpus) -> Scored:
    from govperf_ml.anomaly import AnomalyPipeline
    from govperf_ml.postprocess.threshold import ThresholdRule

    targets = corpus.targets.drop(columns=["target_id"], errors="ignore")
    runs: dict[float, tuple] = {}

    def run(t: float):
        if t not in runs:
            out = AnomalyPipeline(rule=ThresholdRule(threshold=t)).fit(corpus.series).score(
                corpus.series, directions=corpus.directions or None, targets=targets if len(targets) else None)
            out = out.set_index([ID, DS])
            runs[t] = ({k: _on_grid(out["anomaly_score"], k, f) for k, f in corpus.data.items()},
                       {k: _on_grid(out["is_anomaly"].astype(float), k, f) for k, f in corpus.data.items()})
        return runs[t]

    score = run(PANEL_GRID["z_threshold"][1])[0]
    return Scored(score, lambda s: (run(s["z_threshold"])[1], 0.5), tuple(PANEL_GRID))


def _on_grid(column: pd.Series, key: str, frame: pd.DataFrame) -> np.ndarray:
    idx = pd.MultiIndex.from_arrays([np.full(len(frame), key, dtype=object), frame["timestamp"].to_numpy()])
    return np.nan_to_num(column.reindex(idx).to_numpy(dtype=float), nan=0.0)


def served(corpus) -> Scored:
    return _served_stream(corpus) if corpus.stream else _served_panel(corpus)


# ---------------------------------------------------------------------------------------
# baselines
# ---------------------------------------------------------------------------------------
def _threshold_rule(score: dict):
    return Scored(score, lambda s: (score, s["threshold"]), ("threshold",))


def windowed_gaussian(corpus) -> Scored:
    kw = {} if corpus.stream else {"window_size": 24, "step_size": 1}
    score = {}
    for k, f in corpus.data.items():
        s = windowed_gaussian_scores(_filled(f), **kw)
        score[k] = np.where(f["value"].notna().to_numpy(), s, 0.0)
    return _threshold_rule(score)


def robust_z(corpus) -> Scored:
    from govperf_ml.anomaly import SeasonalRobustZScore

    frame = pd.concat([pd.DataFrame({ID: k, DS: f["timestamp"].to_numpy(), Y: f["value"].to_numpy()})
                       for k, f in corpus.data.items()], ignore_index=True).dropna(subset=[Y])
    frame = frame.drop_duplicates([ID, DS], keep="last")
    out = SeasonalRobustZScore().fit().score_frame(frame).set_index([ID, DS])["anomaly_score"]
    return _threshold_rule({k: _on_grid(out, k, f) for k, f in corpus.data.items()})


def _dtai(make):
    def score_corpus(corpus) -> Scored:
        window, stride = (32, 4) if corpus.stream else (12, 1)
        score = {}
        for k, f in corpus.data.items():
            x = _filled(f)
            if len(x) < 3 * window:
                score[k] = np.zeros(len(x))
                continue
            det = make(window, stride).fit(x)
            score[k] = np.nan_to_num(det.predict_proba(x), nan=0.0)
        return _threshold_rule(score)
    return score_corpus


def _hbos(window, stride):
    from dtaianomaly.anomaly_detection import HistogramBasedOutlierScore
    return HistogramBasedOutlierScore(window_size=window, stride=stride)


def _knn(window, stride):
    from dtaianomaly.anomaly_detection import KNearestNeighbors
    return KNearestNeighbors(window_size=window, stride=stride)


def _lof(window, stride):
    from dtaianomaly.anomaly_detection import LocalOutlierFactor
    return LocalOutlierFactor(window_size=window, stride=stride)


PROBA_GRID = {"threshold": (0.5, 0.6, 0.7, 0.8, 0.9)}
#: name → (score a corpus, grid of settings)
DETECTORS = {
    SERVED: (served, STREAM_GRID | PANEL_GRID),
    "windowed Gaussian (NAB)": (windowed_gaussian, {"threshold": (0.99, 0.999, 0.9999, 0.99999)}),
    "robust seasonal z-score": (robust_z, {"threshold": (3.0, 3.5, 4.0, 5.0, 6.0, 8.0)}),
    "HBOS (dtaianomaly)": (_dtai(_hbos), PROBA_GRID),
    "KNN (dtaianomaly)": (_dtai(_knn), PROBA_GRID),
    "LOF (dtaianomaly)": (_dtai(_lof), PROBA_GRID),
}


def settings(name: str) -> list[dict]:
    """Every setting of a detector's grid (the served grid: streams × panels)."""
    return _grid(DETECTORS[name][1])
