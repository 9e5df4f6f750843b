"""Findings → alerts: the one place that decides an alert's kind, severity, reasons and detectors.

A *finding* is what one stage of the anomaly pipeline reports: which values a detector
or check fired on (after its post-processing), the reason it would give, and the numbers
its sentence needs. :func:`resolve` gives every value at most one reason:

1. findings that are not alarms, in their order: a ``data_quality`` reason (missing,
   blank as zero, flat line, scale change) claims every value it fired on (a data error
   explains a deviation); any other (peer, end-of-period jump, smoothness, bunching) only
   values that no alarm flagged;
2. then the alarms (the deviation decision: the main detector, the ensemble, the stream
   detector) claim the values they flagged that are still free.

The reason gives the kind (:data:`KIND_OF`); performance anomalies are graded by
:func:`~govperf_ml.alerts.explain.severity_of` of the finding's severity number (|z| by
default), every other kind is ``medium``. The sentences come from
:func:`~govperf_ml.alerts.explain.explain` and name every detector that fired on the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govperf_ml.alerts.explain import explain, severity_of
from govperf_ml.contracts import Y

__all__ = ["DETECTOR_NAMES", "Finding", "KIND_OF", "resolve"]

#: reason → alert kind (see :data:`govperf_ml.vocabulary.ALERT_KINDS`)
KIND_OF = {
    "absent": "data_quality",
    "missing": "data_quality",
    "blank_as_zero": "data_quality",
    "scale_change": "data_quality",
    "flat_line": "data_quality",
    "deviation": "performance_anomaly",
    "end_of_period_jump": "suspected_misreporting",
    "smooth": "suspected_misreporting",
    "bunching": "suspected_misreporting",
    "likelihood": "performance_anomaly",
    "peer": "peer_outlier",
}

#: detector or check name → (English, Chinese) name in the reasons
DETECTOR_NAMES = {
    "seasonal_zscore": ("seasonal z-score", "季节稳健 z 分数"), "forecast_residual": ("forecast residual", "预测残差"),
    "bunching": ("target bunching", "贴线达标"), "stream": ("stream ensemble", "流式集成检测"),
    "scale_change": ("scale change", "量纲突变"), "flat_line": ("flat line", "数值不变"),
    "peer": ("peer comparison", "同类比较"), "end_of_period_jump": ("end-of-period jump", "期末跳升"),
    "smooth": ("smoothness", "过于平滑"), "missing": ("missing value", "缺报"),
    "absent": ("missing period", "缺期"),
    "blank_as_zero": ("blank as zero", "空白填 0"),
}


@dataclass
class Finding:
    """What one detector or check found, after its post-processing.

    Parameters
    ----------
    name : the detector's name, listed in the ``detectors`` column.
    fired : bool per row.
    reason : the :func:`~govperf_ml.alerts.explain.explain` reason it gives a value it claims.
    alarm : part of the deviation decision (see the module docstring).
    severity : number per row graded by ``severity_of`` for a performance anomaly
        (None: the row's |z|).
    detail : row index → extra ``explain`` keywords (None: ``detail=None``).
    """

    name: str
    fired: np.ndarray
    reason: str
    alarm: bool = False
    severity: np.ndarray | None = None
    detail: Callable[[int], dict] | None = None

    def explain_kw(self, i: int) -> dict:
        return self.detail(i) if self.detail is not None else {"detail": None}


def flagged(findings: list[Finding], n: int) -> np.ndarray:
    """The deviation decision: values any alarm flagged."""
    alarms = [f.fired for f in findings if f.alarm]
    return np.logical_or.reduce(alarms) if alarms else np.zeros(n, dtype=bool)


def _owners(findings: list[Finding], n: int) -> np.ndarray:
    """Index of the finding that gives each row its reason (-1: none)."""
    flag = flagged(findings, n)
    owner = np.full(n, -1)
    order = [i for i, f in enumerate(findings) if not f.alarm] + [i for i, f in enumerate(findings) if f.alarm]
    for i in order:
        f = findings[i]
        claims = f.fired if f.alarm or KIND_OF.get(f.reason) == "data_quality" else f.fired & ~flag
        owner = np.where((owner < 0) & claims, i, owner)
    return owner


def resolve(frame: pd.DataFrame, findings: list[Finding], z: np.ndarray) -> pd.DataFrame:
    """Add ``is_anomaly, kind, severity, reason_en, reason_zh, detectors`` to ``frame``.

    ``frame`` has one row per value with ``y, expected, lo, hi``; ``z`` is the signed
    z-score of each row that the sentences quote.
    """
    out = frame.copy()
    owner = _owners(findings, len(out))
    # owner -1 (no finding) picks the last entry: no kind
    kind = np.array([KIND_OF.get(f.reason) for f in findings] + [None], dtype=object)[owner]
    out["is_anomaly"] = pd.notna(kind)
    out["kind"] = kind
    # sentences only for the values that some finding owns (a few per cent): the rest stay blank
    hits = np.flatnonzero(owner >= 0)
    severity = np.full(len(out), None, dtype=object)
    detectors = _empty_lists(len(out))
    reason_en = np.full(len(out), "", dtype=object)
    reason_zh = reason_en.copy()
    fired = np.column_stack([f.fired for f in findings]) if findings else np.zeros((len(out), 0), bool)
    y, e, lo, hi = (out[c].to_numpy() for c in (Y, "expected", "lo", "hi"))
    for i in hits:
        o = owner[i]
        if kind[i] is not None:
            severity[i] = _severity(kind[i], findings[o], i, z)
        detectors[i] = [f.name for f, hit in zip(findings, fired[i]) if hit]
        en, zh = explain(findings[o].reason, observed=y[i], expected=e[i], lo=lo[i], hi=hi[i], z=z[i],
                         **findings[o].explain_kw(i))
        reason_en[i], reason_zh[i] = _also(en, detectors[i], en=True), _also(zh, detectors[i], en=False)
    out["severity"] = severity
    out["reason_en"] = reason_en
    out["reason_zh"] = reason_zh
    out["detectors"] = detectors
    return out


def _empty_lists(n: int) -> list[list]:
    """``n`` distinct empty lists, without the garbage collector's passes over the growing
    heap that a comprehension of a million lists sets off (several seconds a chunk)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        lists: list[list] = [[] for _ in range(n)]
    finally:
        if enabled:
            gc.enable()
    return lists


def _severity(kind: str, finding: Finding, i: int, z: np.ndarray) -> str:
    if kind != "performance_anomaly":
        return "medium"
    return severity_of(finding.severity[i] if finding.severity is not None else np.abs(z[i]))


def _also(sentence: str, detectors: list[str], *, en: bool) -> str:
    """Name the detectors that fired inside the one sentence: '... (detectors: a, b).'"""
    if not sentence or not detectors:
        return sentence
    names = [DETECTOR_NAMES.get(d, (d, d))[0 if en else 1] for d in detectors]
    end = "." if en else "。"
    body = sentence[:-1] if sentence.endswith(end) else sentence
    return f"{body} (detectors: {', '.join(names)})." if en else f"{body}（触发检测：{'、'.join(names)}）。"
