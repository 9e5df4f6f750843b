"""The words every part of govperf-ml shares: series ids, alert kinds, severities,
statuses, capabilities and the decision levels that name them.

The library owns this vocabulary; the database, the API schemas and the CLI import it
from here, so a new alert kind or status is added in one place.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

# ── series ids ────────────────────────────────────────────────────────────────────────
SERIES_SEP = "|"  # an indicator series is "<org_unit>|<indicator>"


def series_id(org_unit: str, indicator: str) -> str:
    """The series id of an (org unit, indicator) pair: ``"D01|on_time_rate"``."""
    return f"{org_unit}{SERIES_SEP}{indicator}"


def split_series_id(uid: str) -> tuple[str, str]:
    """``"D01|on_time_rate"`` → ``("D01", "on_time_rate")``: split at the first ``|``
    (an id without one is its own org unit, with an empty indicator)."""
    org_unit, _, indicator = str(uid).partition(SERIES_SEP)
    return org_unit, indicator


def org_unit_of(uid: str) -> str:
    """``"D01|on_time_completion_rate"`` → ``"D01"`` (an id without ``|``: itself)."""
    return split_series_id(uid)[0]


def indicator_of(uid: str) -> str:
    """``"D01|on_time_completion_rate"`` → ``"on_time_completion_rate"`` (no ``|``: itself)."""
    org_unit, indicator = split_series_id(uid)
    return indicator if SERIES_SEP in str(uid) else org_unit


def default_target_id(unique_id: str, deadline: date | datetime | pd.Timestamp) -> str:
    """A target's id when none is given: ``"<unique_id>@<deadline as YYYY-MM-DD>"``."""
    return f"{unique_id}@{pd.Timestamp(deadline):%Y-%m-%d}"


def default_target_ids(unique_ids: pd.Series, deadlines: pd.Series) -> pd.Series:
    """:func:`default_target_id` for whole columns."""
    return unique_ids.astype(str) + "@" + pd.to_datetime(deadlines).dt.strftime("%Y-%m-%d")


# ── what the service serves ───────────────────────────────────────────────────────────
CAPABILITIES = ("anomaly", "forecast", "targets", "feedback")

# ── alerts ────────────────────────────────────────────────────────────────────────────
ALERT_KINDS = ("performance_anomaly", "data_quality", "suspected_misreporting", "peer_outlier", "target_risk")
SEVERITIES = ("low", "medium", "high")
ALERT_STATUSES = ("open", "acknowledged", "resolved", "dismissed")
REVIEWED_STATUSES = ("acknowledged", "resolved", "dismissed")  # a person has looked at it

# ── targets ───────────────────────────────────────────────────────────────────────────
DIRECTIONS = ("higher", "lower")
AGGREGATIONS = ("last", "mean", "sum")
RISK_STATUSES = ("green", "amber", "red")
HIGH_P_MISS = 0.8  # a target_risk alert at or above this probability of missing is "high"

# ── citizen feedback ──────────────────────────────────────────────────────────────────
FEEDBACK_STATUSES = ("pending_review", "auto_tagged", "confirmed", "corrected")
