"""Complaint surges: weekly message counts per district × service area × service dimension,
scored like any series, with the key terms of a surge's messages.

* :func:`weekly_counts` turns tagged messages into a long ``unique_id, ds, y`` frame of
  weekly counts (weeks start on Monday; every cell gets every week, zeros included). The
  series id is ``<org_unit>|feedback:<area>:<dimension>`` (:func:`feedback_indicator`).
* :class:`CountSurgeDetector` scores each week causally against the cell's own past:
  the expected count is the mean of the previous ``window`` weeks shrunk towards
  ``prior_rate`` (so a cell that has been silent does not expect exactly 0), and the
  ``anomaly_score`` is ``-log10 P(X >= y)`` under a negative binomial whose dispersion is
  estimated on the whole panel (Poisson where the counts show none). A robust z-score is
  not used: on sparse counts its MAD is 0 and every message would be a surge.
* :class:`SurgeRule` decides: at least ``min_count`` messages, ``ratio`` times the
  expected count and a score of at least ``threshold`` — so 0 → 2 messages is never a
  surge — and one alert per episode (a flag within ``suppress_weeks`` after another is dropped).
* :func:`key_terms` ranks the words of the surge's messages by TF-IDF against a baseline
  of the district's earlier messages (jieba for Chinese).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID, Y, DataContractError, short
from govperf_ml.vocabulary import SERIES_SEP, series_id, split_series_id

PREFIX = "feedback"
WEEK = pd.Timedelta(days=7)
#: an alert's evidence covers the week it was raised for and the next
EVIDENCE_WEEKS = 2
NEEDED = ("org_unit", "area", "dimensions", "received_at")


def feedback_indicator(area: str, dimension: str) -> str:
    """``("urban_construction", "timeliness")`` → ``"feedback:urban_construction:timeliness"``."""
    return f"{PREFIX}:{area}:{dimension}"


def parse_feedback_indicator(indicator: str) -> tuple[str, str] | None:
    """The (area, dimension) of a feedback series' indicator, None for any other indicator."""
    parts = str(indicator).split(":")
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == PREFIX else None


def week_start(ts) -> pd.Timestamp | pd.Series:
    """The Monday 00:00 of the week of ``ts`` (a timestamp or a Series; zones dropped)."""
    if isinstance(ts, pd.Series):
        t = pd.to_datetime(ts)
        if t.dt.tz is not None:
            t = t.dt.tz_localize(None)
        return (t.dt.normalize() - pd.to_timedelta(t.dt.weekday, unit="D")).astype("datetime64[ns]")
    t = pd.Timestamp(ts)
    t = t.tz_localize(None) if t.tzinfo is not None else t
    return t.normalize() - pd.Timedelta(days=t.weekday())


def _tagged(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per (message, dimension) with a district, an area and a time."""
    missing = [c for c in NEEDED if c not in messages.columns]
    if missing:
        raise DataContractError(f"feedback counts: missing columns {missing}", field=missing[0])
    df = messages.loc[:, [*NEEDED, *(["message_id"] if "message_id" in messages.columns else [])]].copy()
    when = pd.to_datetime(df["received_at"], errors="coerce", utc=True, format="mixed")
    bad = df["received_at"].notna() & when.isna()
    if bad.any():
        ids = df.index[bad].tolist() if "message_id" not in df else df.loc[bad, "message_id"].tolist()
        raise DataContractError(f"feedback counts: unreadable received_at for {short(ids)}", field="received_at", ids=ids)
    df["received_at"] = when.dt.tz_localize(None)
    df = df.dropna(subset=["org_unit", "area", "received_at"])
    df = df[(df["org_unit"].astype(str) != "") & (df["area"].astype(str) != "")]
    df = df.explode("dimensions").dropna(subset=["dimensions"]).rename(columns={"dimensions": "dimension"})
    bad_names = df["org_unit"].astype(str).str.contains(re.escape(SERIES_SEP), regex=True)
    if bad_names.any():
        ids = sorted(set(df.loc[bad_names, "org_unit"]))
        raise DataContractError(f"feedback counts: org units hold {SERIES_SEP!r}: {short(ids)}", field="org_unit", ids=ids)
    df["ds"] = week_start(df["received_at"])
    return df


def weekly_counts(messages: pd.DataFrame, *, start=None, end=None) -> pd.DataFrame:
    """Weekly counts of tagged messages per district × area × dimension.

    ``messages`` needs ``org_unit``, ``area``, ``dimensions`` (a list per message) and
    ``received_at``; messages without a district, area or time are left out, and a
    message with two dimensions counts in both. Every cell seen gets every week from
    ``start`` (default: the first message's week) to ``end`` (default: the last's).
    Returns ``unique_id, ds, y, org_unit, area, dimension`` sorted by series and week.
    """
    cols = [ID, DS, Y, "org_unit", "area", "dimension"]
    df = _tagged(messages)
    if df.empty:
        return pd.DataFrame(columns=cols)
    first = week_start(start) if start is not None else df["ds"].min()
    last = week_start(end) if end is not None else df["ds"].max()
    df = df[(df["ds"] >= first) & (df["ds"] <= last)]
    weeks = pd.date_range(first, last, freq="7D")
    counts = df.groupby(["org_unit", "area", "dimension", "ds"]).size()
    cells = counts.index.droplevel("ds").unique()
    full = pd.MultiIndex.from_tuples(
        [(*c, w) for c in cells for w in weeks], names=["org_unit", "area", "dimension", "ds"]
    )
    out = counts.reindex(full, fill_value=0).rename(Y).reset_index()
    out[ID] = [series_id(str(o), feedback_indicator(a, d)) for o, a, d in zip(out["org_unit"], out["area"], out["dimension"])]
    out[Y] = out[Y].astype(float)
    return out[cols].sort_values([ID, DS], kind="stable").reset_index(drop=True)


def pooled_dispersion(counts: pd.DataFrame) -> float:
    """The negative-binomial size ``r`` (variance = mu + mu²/r) of a panel of count series,
    by the method of moments pooled over the series, each series without its largest week
    (so that the surges being looked for do not pass for everyday dispersion); ``inf``
    (Poisson) when the counts vary no more than Poisson counts do."""
    ranked = counts.assign(_r=counts.groupby(ID)[Y].rank(method="first", ascending=False))
    g = ranked[ranked["_r"] > 1].groupby(ID)[Y]
    m, v = g.mean(), g.var(ddof=1).fillna(0.0)
    excess = float((v - m).sum())
    return math.inf if excess <= 0 else float(np.clip((m**2).sum() / excess, 0.2, 1e6))


def _past_sum(df: pd.DataFrame, col: str, k: int) -> np.ndarray:
    """Per series (rows in order), the sum of ``col`` over the ``k`` rows before each row:
    a difference of running sums, vectorised (a rolling window per series took a second on
    a few hundred cells). Exact for counts and 0/1 flags."""
    g = df.groupby(ID, sort=False)[col]
    total = g.cumsum()
    before_window = total.groupby(df[ID], sort=False).shift(k + 1).fillna(0.0)
    return (total - df[col] - before_window).to_numpy(dtype=float)


class CountSurgeDetector(BaseEstimator):
    """Causal negative-binomial tail score of each weekly count against the cell's past.

    Parameters
    ----------
    window : int
        Past weeks whose mean sets the expected count.
    min_history : int
        Weeks of history needed before a week is scored (earlier weeks score 0).
    prior_weeks, prior_rate : float
        The mean is shrunk towards ``prior_rate`` messages a week with the weight of
        ``prior_weeks`` weeks.
    dispersion : float or None
        The negative-binomial size ``r``; None estimates it on the panel given to ``fit``
        (:func:`pooled_dispersion`); ``math.inf`` is Poisson.
    """

    def __init__(self, *, window=26, min_history=8, prior_weeks=4.0, prior_rate=0.25, dispersion=None):
        self.window = window
        self.min_history = min_history
        self.prior_weeks = prior_weeks
        self.prior_rate = prior_rate
        self.dispersion = dispersion

    def fit(self, counts: pd.DataFrame | None = None, y=None):
        if self.window < 2 or self.min_history < 1:
            raise ValueError("window must be at least 2 and min_history at least 1")
        if self.prior_weeks <= 0 or self.prior_rate <= 0:
            raise ValueError("prior_weeks and prior_rate must be positive")
        if self.dispersion is not None:
            self.dispersion_ = float(self.dispersion)
        else:
            self.dispersion_ = pooled_dispersion(counts) if counts is not None and len(counts) else math.inf
        return self

    def score_frame(self, counts: pd.DataFrame) -> pd.DataFrame:
        """``counts`` (as :func:`weekly_counts` returns it) with ``expected``, ``p_value``,
        ``anomaly_score`` (``-log10 p``, at most 300) and ``warm``."""
        check_is_fitted(self)
        df = counts.sort_values([ID, DS], kind="stable").reset_index(drop=True)
        g = df.groupby(ID, sort=False)[Y]
        prev_sum = _past_sum(df, Y, self.window)
        n_prev = np.minimum(g.cumcount().to_numpy(), self.window)
        lam = (prev_sum + self.prior_weeks * self.prior_rate) / (n_prev + self.prior_weeks)
        y = df[Y].to_numpy(dtype=float)
        r = self.dispersion_
        if math.isinf(r):
            p = stats.poisson.sf(y - 1, lam)
        else:
            p = stats.nbinom.sf(y - 1, r, r / (r + lam))
        warm = g.cumcount().to_numpy() >= self.min_history
        score = np.where(warm, np.maximum(-np.log10(np.clip(p, 1e-300, 1.0)), 0.0), 0.0)
        return df.assign(expected=lam, p_value=p, anomaly_score=score, warm=warm)


class SurgeRule(BaseEstimator):
    """Scores → surges. Each condition only removes flags (so a stricter setting never
    adds one): enough messages, enough above the expected count, a high enough score,
    and not within ``suppress_weeks`` after another flagged week of the same cell."""

    def __init__(self, *, min_count=5, min_ratio=2.0, threshold=4.0, suppress_weeks=3):
        self.min_count = min_count
        self.min_ratio = min_ratio
        self.threshold = threshold
        self.suppress_weeks = suppress_weeks

    def fit(self, scored=None, y=None):
        self.fitted_ = True
        return self

    def apply(self, scored: pd.DataFrame) -> pd.DataFrame:
        """``scored`` with a boolean ``is_surge``."""
        check_is_fitted(self)
        y = scored[Y].to_numpy(dtype=float)
        raw = (
            scored["warm"].to_numpy(dtype=bool)
            & (y >= self.min_count)
            & (y >= self.min_ratio * scored["expected"].to_numpy(dtype=float))
            & (scored["anomaly_score"].to_numpy(dtype=float) >= self.threshold)
        )
        k = int(self.suppress_weeks)
        flags = scored[[ID]].assign(_flag=raw.astype(float))
        recent = _past_sum(flags, "_flag", k) if k > 0 else np.zeros(len(raw))
        return scored.assign(is_surge=raw & ~(recent > 0))


def surge_severity(y: float, score: float) -> str:
    """``high`` from 10 messages at p ≤ 1e-8, ``medium`` otherwise."""
    return "high" if y >= 10 and score >= 8 else "medium"


def detect_surges(messages: pd.DataFrame, *, detector=None, rule=None, start=None, end=None) -> pd.DataFrame:
    """:func:`weekly_counts` → detector (fitted on this panel) → rule: the flagged weeks,
    with ``unique_id, ds, y, org_unit, area, dimension, expected, p_value, anomaly_score``."""
    counts = weekly_counts(messages, start=start, end=end)
    if counts.empty:
        return counts.assign(expected=[], p_value=[], anomaly_score=[], warm=[], is_surge=[])
    detector = (detector or CountSurgeDetector()).fit(counts)
    decided = (rule or SurgeRule()).fit().apply(detector.score_frame(counts))
    return decided[decided["is_surge"]].reset_index(drop=True)


# ── key terms ─────────────────────────────────────────────────────────────────────────
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
_TITLED = re.compile(r"(先生|女士|小姐|师傅|大爷|大妈|阿姨)$")  # "冯先生": a name the masker may have missed
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z]{3,}")
_STOP = frozenset(
    "我们 你们 他们 一个 没有 什么 这个 那个 已经 还是 但是 因为 所以 如果 可以 现在 希望 反映 问题 "
    "来电 来电人 市民 相关 部门 情况 请求 恳请 领导 尊敬 市长 您好 谢谢 身份证 身份证号 电话 号码 手机号 "
    "the and for with that this have "
    "has was were are not but from they them our you your there been please".split()
)


def _terms(text: str) -> set[str]:
    """The distinct words of one masked text (jieba for Chinese; placeholders dropped)."""
    from govperf_ml.feedback.pii_zh import tagger

    tagger()  # jieba's dictionary, loaded once and cached in the temp folder
    import jieba

    clean = _PLACEHOLDER.sub(" ", text)
    words = (w.strip().lower() for w in jieba.lcut(clean, HMM=False))
    return {w for w in words if _WORD.fullmatch(w) and w not in _STOP and not _TITLED.search(w)}


def key_terms(texts: Sequence[str], baseline: Iterable[str], *, top: int = 5, min_df: int = 2) -> list[str]:
    """The words that mark ``texts`` (a surge's messages) against ``baseline`` (the
    district's earlier messages): share of surge messages holding the word × its inverse
    document frequency in the baseline. A word must occur in ``min_df`` surge messages
    (at least one where there is only one message)."""
    docs = [_terms(t) for t in texts]
    if not docs:
        return []
    base = [_terms(t) for t in baseline]
    df_s = Counter(w for d in docs for w in d)
    df_b = Counter(w for d in base for w in d)
    need = min(min_df, len(docs))
    scored = [
        (df_s[w] / len(docs) * math.log((1 + len(base)) / (1 + df_b[w])), w)
        for w in df_s if df_s[w] >= need
    ]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [w for s, w in scored[:top] if s > 0]


def surge_cell(unique_id: str) -> tuple[str, str, str] | None:
    """``"D01|feedback:health:fees"`` → ``("D01", "health", "fees")``; None for other series."""
    org_unit, indicator = split_series_id(unique_id)
    parsed = parse_feedback_indicator(indicator)
    return (org_unit, *parsed) if parsed else None


def surge_reason(
    org_unit: str, area: str, dimension: str, ds, y: float, expected: float, terms: Sequence[str], taxonomy=None
) -> tuple[str, str]:
    """The alert's reason in English and Chinese."""
    from govperf_ml.feedback.taxonomy import load_taxonomy

    tax = taxonomy or load_taxonomy()
    dim = tax.dimensions.get(dimension, {})
    week = f"{pd.Timestamp(ds):%Y-%m-%d}"
    en = (
        f"Complaint surge in {org_unit}: {int(y)} messages on {tax.area_name(area, 'en')} / "
        f"{dim.get('en', dimension)} in the week of {week} (about {expected:.1f} expected)."
    )
    zh = (
        f"{org_unit}群众诉求激增：{week}当周{tax.area_name(area, 'zh')}“{dim.get('zh', dimension)}”"
        f"相关留言{int(y)}件（常态约{expected:.1f}件）。"
    )
    if terms:
        en += f" Key terms: {', '.join(terms)}."
        zh += f"关键词：{'、'.join(terms)}。"
    return en, zh
