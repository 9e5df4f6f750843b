"""Data-quality checks made when values are stored: revised history and late submission.

These need no model, only what was stored before and when a value arrived, so the
service runs them at ingest. This module decides (what is revised, what is late, how
severe) and words the bilingual reason; the service stores the alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from govperf_ml.alerts.explain import period_label

INGEST_CHECKS_VERSION = "ingest-checks/1"
"""The ``model_version`` of the alerts these checks raise (no model is involved)."""

REVISED = "revised_history"
LATE = "late_submission"
SEVERITY = {REVISED: "medium", LATE: "low"}


@dataclass(frozen=True)
class IngestIssue:
    """A data-quality fact found while storing a value: a revised past value or a late one."""

    unique_id: str
    org_unit: str
    indicator: str
    ds: datetime
    check: str  # REVISED or LATE
    observed: float | None
    previous: float | None = None
    days_late: int | None = None

    @property
    def severity(self) -> str:
        return SEVERITY[self.check]


def period_end(ds: datetime) -> datetime:
    """When the period labelled ``ds`` ends: a month label (the 1st at midnight) ends with
    its month, any other label with its day."""
    if ds.day == 1 and ds.hour == 0 and ds.minute == 0:
        return datetime(ds.year + ds.month // 12, ds.month % 12 + 1, 1)
    return datetime(ds.year, ds.month, ds.day) + timedelta(days=1)


def days_late(ds: datetime, submitted: datetime) -> int:
    """Whole days between the end of period ``ds`` and ``submitted`` (naive UTC both)."""
    return (submitted - period_end(ds)).days


def is_missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def same_value(a: float | None, b: float | None) -> bool:
    """Equal values, or both missing."""
    if is_missing(a) or is_missing(b):
        return is_missing(a) and is_missing(b)
    return a == b


def _num(x: float | None) -> str:
    return "missing" if x is None else f"{x:,.6g}"


def issue_text(issue: IngestIssue, late_after_days: int | None = None) -> tuple[str, str]:
    """One sentence in English and one in Chinese for a revised or late value."""
    label = period_label(issue.ds)
    if issue.check == REVISED:
        prev, new = _num(issue.previous), _num(issue.observed)
        return (
            f"The value for {label} was revised from {prev} to {new} after it had been stored: "
            "check why past figures changed.",
            f"{label} 的数值在报送后由 {prev} 修订为 {new}：请核实修改历史数据的原因。",
        )
    allowed_en = f" (allowed: {late_after_days} days)" if late_after_days is not None else ""
    allowed_zh = f"（允许 {late_after_days} 天）" if late_after_days is not None else ""
    return (
        f"The value for {label} arrived {issue.days_late} days after the period ended{allowed_en}.",
        f"{label} 的数值在期末后 {issue.days_late} 天才报送{allowed_zh}。",
    )
