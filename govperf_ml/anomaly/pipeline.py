"""The served anomaly model: a detector, a threshold rule and the alert wording in one.

``score`` answers the question a supervisor asks of each value: is it anomalous, what
kind of problem is it, how sure, and why. The detector only scores; the rule decides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from govperf_ml.alerts.explain import explain, severity_of
from govperf_ml.anomaly.quality import (
    EndOfPeriodJumpDetector,
    FlatLineDetector,
    PeerDetector,
    ScaleChangeDetector,
    SmoothnessDetector,
)
from govperf_ml.anomaly.robust_zscore import SeasonalRobustZScore
from govperf_ml.contracts import DS, ID, Y, DataContractError, short
from govperf_ml.postprocess.threshold import ThresholdRule

OUTPUT_COLUMNS = [ID, DS, Y, "expected", "lo", "hi", "anomaly_score", "is_anomaly", "kind", "severity", "reason_en", "reason_zh"]


class AnomalyPipeline(BaseEstimator):
    """Detector → threshold rule → data-quality checks → bilingual reasons.

    Parameters
    ----------
    detector : estimator with ``score_frame`` (default: SeasonalRobustZScore)
    rule : ThresholdRule (default: threshold 3.5, direction aware)
    zero_ratio : float
        A 0 where the expected value exceeds this many robust scales is a blank entered
        as zero (a data-quality problem, not a performance collapse).
    checks : dict or None
        ``{name: detector}`` of panel checks (see :mod:`govperf_ml.anomaly.quality`) run
        beside the main detector; None uses :func:`default_checks`, ``{}`` runs none.
        Their flags become alerts of kind data_quality (flat_line, scale_change),
        suspected_misreporting (end_of_period_jump, smooth: improvements only when the
        direction is known) or peer_outlier (peer).
    """

    def __init__(self, *, detector=None, rule=None, zero_ratio=3.0, checks=None):
        self.detector = detector
        self.rule = rule
        self.zero_ratio = zero_ratio
        self.checks = checks

    def fit(self, df: pd.DataFrame, labels: pd.DataFrame | None = None, *, directions: dict | None = None):
        """Fit the detector and tune the rule's threshold on labelled points if given.

        ``labels`` is a frame of (unique_id, ds) pairs that are anomalous.
        """
        self.detector_ = clone(self.detector) if self.detector is not None else SeasonalRobustZScore()
        self.detector_.fit(df)
        checks = default_checks() if self.checks is None else self.checks
        self.checks_ = {name: clone(det).fit(df) for name, det in checks.items()}
        self.rule_ = clone(self.rule) if self.rule is not None else ThresholdRule()
        if labels is not None:
            scored = self.detector_.score_frame(df)
            key = pd.MultiIndex.from_frame(scored[[ID, DS]])
            lab = pd.MultiIndex.from_frame(labels[[ID, DS]].assign(**{DS: pd.to_datetime(labels[DS])}))
            y = key.isin(lab)
            ok = scored[Y].notna().to_numpy()
            dirs = scored[ID].map(directions or {}).to_numpy()
            self.rule_.fit(scored["z"].to_numpy()[ok], y[ok], dirs[ok])
        else:
            self.rule_.fit(np.zeros(1))
        return self

    def score(self, df: pd.DataFrame, *, directions: dict | None = None) -> pd.DataFrame:
        """Score each value; one row per input row with the columns in OUTPUT_COLUMNS."""
        check_is_fitted(self)
        directions = directions or {}
        bad = {k: v for k, v in directions.items() if v not in ("higher", "lower")}
        if bad:
            raise DataContractError(
                f"directions: must be 'higher' or 'lower' for series {short(bad)}", field="directions", ids=list(bad)
            )
        s = self.detector_.score_frame(df)
        z = s["z"].to_numpy()
        dirs = s[ID].map(directions).to_numpy()
        t = self.rule_.threshold_
        flag = self.rule_.predict(z, dirs)
        missing = s[Y].isna().to_numpy() & s["expected"].notna().to_numpy()
        zero = (s[Y].to_numpy() == 0) & (s["expected"].to_numpy() > self.zero_ratio * s["scale"].to_numpy())
        out = pd.DataFrame(
            {
                ID: s[ID],
                DS: s[DS],
                Y: s[Y],
                "expected": s["expected"],
                "lo": s["expected"] - t * s["scale"],
                "hi": s["expected"] + t * s["scale"],
                "anomaly_score": s["anomaly_score"],
            }
        )
        reason = np.where(missing, "missing", np.where(zero, "blank_as_zero", ""))
        check_z = {}
        if getattr(self, "checks_", None):  # models pickled before the checks existed have none
            wide = s.pivot(index=DS, columns=ID, values=Y).sort_index()
            rows, cols = wide.index.get_indexer(s[DS]), wide.columns.get_indexer(s[ID])
        for name, det in getattr(self, "checks_", {}).items():
            res = det.score_wide(wide)
            score = np.nan_to_num(res["anomaly_score"].to_numpy()[rows, cols], nan=0.0)
            fired = score >= det.threshold
            cz = res["z"].to_numpy()[rows, cols] if "z" in res else score
            check_z[name] = cz
            if name in _IMPROVEMENT_ONLY:
                better = ((dirs == "higher") & (cz > 0)) | ((dirs == "lower") & (cz < 0))
                fired &= np.where(pd.isna(dirs), True, better)
            if name in _QUALITY:  # data errors explain a deviation: they take precedence
                reason = np.where((reason == "") & fired, name, reason)
            else:
                reason = np.where((reason == "") & fired & ~flag, name, reason)
        reason = np.where((reason == "") & flag, "deviation", reason)
        kind = np.array([_KIND_OF.get(r, "") for r in reason], dtype=object)
        out["is_anomaly"] = kind != ""
        out["kind"] = pd.Series(kind).replace("", None).to_numpy()
        out["severity"] = [
            (severity_of(zz) if k == "performance_anomaly" else "medium") if k else None for k, zz in zip(kind, z)
        ]
        reasons = [
            explain(r, observed=row_y, expected=e, lo=lo, hi=hi, z=zz,
                    detail=check_z.get(r, np.zeros(1))[i] if r in check_z else None)
            if r
            else ("", "")
            for i, (r, row_y, e, lo, hi, zz) in enumerate(
                zip(reason, out[Y], out["expected"], out["lo"], out["hi"], z)
            )
        ]
        out["reason_en"] = [r[0] for r in reasons]
        out["reason_zh"] = [r[1] for r in reasons]
        return out[OUTPUT_COLUMNS]


_QUALITY = ("scale_change", "flat_line")
_IMPROVEMENT_ONLY = ("end_of_period_jump",)
_KIND_OF = {
    "missing": "data_quality",
    "blank_as_zero": "data_quality",
    "scale_change": "data_quality",
    "flat_line": "data_quality",
    "deviation": "performance_anomaly",
    "end_of_period_jump": "suspected_misreporting",
    "smooth": "suspected_misreporting",
    "peer": "peer_outlier",
}


def default_checks() -> dict:
    """The panel checks the served pipeline runs beside its main detector.

    Data-quality and peer checks only: on the sample city they raise both event recall
    (0.49 → 0.63) and flagged-point precision (0.67 → 0.75). The misreporting checks
    (:func:`misreporting_checks`) add recall at 0.16 precision, too many false accusations
    to raise by default; pass them in ``checks=`` to opt in.
    """
    return {
        "scale_change": ScaleChangeDetector(),
        "flat_line": FlatLineDetector(),
        "peer": PeerDetector(threshold=6.0, min_gap=4.0),
    }


def misreporting_checks() -> dict:
    """Suspected-misreporting signals: end-of-period jumps and implausibly smooth series."""
    return {"end_of_period_jump": EndOfPeriodJumpDetector(), "smooth": SmoothnessDetector()}


def all_checks() -> dict:
    """Every check; earlier checks take precedence when two fire on one value."""
    dq, mis = default_checks(), misreporting_checks()
    return {"scale_change": dq["scale_change"], "flat_line": dq["flat_line"],
            "end_of_period_jump": mis["end_of_period_jump"], "peer": dq["peer"], "smooth": mis["smooth"]}
