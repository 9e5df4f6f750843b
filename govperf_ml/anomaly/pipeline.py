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
    """

    def __init__(self, *, detector=None, rule=None, zero_ratio=3.0):
        self.detector = detector
        self.rule = rule
        self.zero_ratio = zero_ratio

    def fit(self, df: pd.DataFrame, labels: pd.DataFrame | None = None, *, directions: dict | None = None):
        """Fit the detector and tune the rule's threshold on labelled points if given.

        ``labels`` is a frame of (unique_id, ds) pairs that are anomalous.
        """
        self.detector_ = clone(self.detector) if self.detector is not None else SeasonalRobustZScore()
        self.detector_.fit(df)
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
        kind = np.where(missing | zero, "data_quality", np.where(flag, "performance_anomaly", ""))
        out["is_anomaly"] = kind != ""
        out["kind"] = pd.Series(kind).replace("", None).to_numpy()
        out["severity"] = [
            ("medium" if k == "data_quality" else severity_of(zz)) if k else None for k, zz in zip(kind, z)
        ]
        reasons = [
            explain(
                "missing" if m else "blank_as_zero" if zr else "deviation",
                observed=row_y,
                expected=e,
                lo=lo,
                hi=hi,
                z=zz,
            )
            if k
            else ("", "")
            for k, m, zr, row_y, e, lo, hi, zz in zip(
                kind, missing, zero, out[Y], out["expected"], out["lo"], out["hi"], z
            )
        ]
        out["reason_en"] = [r[0] for r in reasons]
        out["reason_zh"] = [r[1] for r in reasons]
        return out[OUTPUT_COLUMNS]
