"""The words every part of govperf-ml shares: series ids, alert kinds, severities,
statuses, capabilities and the decision levels that name them.

The library owns this vocabulary; the database, the API schemas and the CLI import it
from here, so a new alert kind or status is added in one place.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd

# ── series ids ────────────────────────────────────────────────────────────────────────
SERIES_SEP = "|"  # an indicator series is "<org_unit>|<indicator>"


#: characters a name may not hold: the series separator, control characters (NUL
#: included) and the bidirectional overrides that make a name read other than it is stored
_FORBIDDEN_IN_NAMES = re.compile(r"[|\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an org unit or indicator name (None if it can).

    The series id joins the two with ``|``, so a ``|`` in either would let two different
    pairs share one id (``"PA" + "B|C"`` and ``"PA|B" + "C"``).
    """
    bad = _FORBIDDEN_IN_NAMES.search(name)
    if bad is None:
        return None
    if bad.group() == SERIES_SEP:
        return f"must not contain {SERIES_SEP!r} (it joins org unit and indicator into the series id)"
    return f"must not contain control or text-direction characters (found U+{ord(bad.group()):04X})"


def series_id(org_unit: str, indicator: str) -> str:
    """The series id of an (org unit, indicator) pair: ``"D01|on_time_rate"``.

    Raises ``ValueError`` when a part holds the separator (see :func:`name_problem`).
    """
    if SERIES_SEP in org_unit or SERIES_SEP in indicator:
        raise ValueError(f"org unit and indicator {name_problem(SERIES_SEP)}: {org_unit!r}, {indicator!r}")
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
ALERT_KINDS = (
    "performance_anomaly", "data_quality", "suspected_misreporting", "peer_outlier", "target_risk", "model_drift",
    "feedback_surge",
)
FEEDBACK_SURGE = "feedback_surge"  # complaints of one district, area and dimension surged in a week
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
