"""The linear-pace rule for targets (what OKR tools do), turned into a probability.

At the assessment time the rule draws the planned straight line from the baseline at the
start to the target at the deadline and rates the progress made so far: on track (green)
at ≥ 95 % of the planned progress, at risk (amber) from 75 % to 95 %, off track (red)
below. ``fit`` learns the observed miss rate of each status on past target episodes, so
the rule answers with a probability of missing the target as well as a colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import (
    AGGREGATION, DEADLINE, DIRECTION, DS, ID, START, TARGET, Y, DataContractError, short,
    validate_series, validate_targets,
)
from govperf_ml.targets.episodes import aggregate, build_episodes, periods_between

STATUSES = ("green", "amber", "red")
OUTPUT_COLUMNS = [
    "target_id", ID, "as_of", "p_miss", "status", "progress_ratio", "current", "projected", "projected_lo",
    "projected_hi", "required_rate", "current_rate", "reason_en", "reason_zh",
]
_STATUS_ZH = {"green": "绿灯（进度正常）", "amber": "黄灯（存在风险）", "red": "红灯（严重滞后）"}


def _fmt(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:,.3g}"


class LinearPaceRule(BaseEstimator):
    """Rate progress against the straight line from the baseline to the target.

    Parameters
    ----------
    on_track : float
        Share of the planned progress at or above which a target is green.
    at_risk : float
        Share below which it is red (amber in between).
    run_rate_window : int
        How many recent periods set the current run rate.
    """

    def __init__(self, *, on_track=0.95, at_risk=0.75, run_rate_window=6):
        self.on_track = on_track
        self.at_risk = at_risk
        self.run_rate_window = run_rate_window

    # ------------------------------------------------------------------ fit
    def fit(self, history: pd.DataFrame, targets: pd.DataFrame | None):
        """Learn the miss rate of each status on past targets (deadline already observed);
        without any (``targets`` None or empty) the rates are 0.2 / 0.5 / 0.8."""
        if not 0 < self.at_risk <= self.on_track:
            raise ValueError("need 0 < at_risk <= on_track")
        hist = validate_series(history)
        has_targets = targets is not None and len(targets)
        episodes = build_episodes(hist, validate_targets(targets)) if has_targets else pd.DataFrame()
        self.miss_rate_ = {"green": 0.2, "amber": 0.5, "red": 0.8}  # used only without episodes
        self.counts_ = {s: [0, 0] for s in STATUSES}
        if not episodes.empty:
            rated = self._assess_episodes(hist, episodes)
            for status, missed in zip(rated["status"], episodes["missed"]):
                self.counts_[status][0] += int(missed)
                self.counts_[status][1] += 1
            # Laplace smoothing keeps rates away from 0 and 1 on small samples
            self.miss_rate_ = {s: (m + 1) / (n + 2) for s, (m, n) in self.counts_.items()}
        self.n_episodes_ = int(len(episodes))
        return self

    def _assess_episodes(self, hist: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
        groups = {uid: g for uid, g in hist.groupby(ID, sort=False)}
        rows = [self._one(t, groups.get(t[ID]), t["as_of"]) for t in episodes.to_dict("records")]
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ assess
    def assess(self, history: pd.DataFrame, targets: pd.DataFrame, *, as_of=None) -> pd.DataFrame:
        """Risk of missing each target, as seen at ``as_of`` (default: each series' last value)."""
        check_is_fitted(self)
        return self.progress(history, targets, as_of=as_of)

    def progress(self, history: pd.DataFrame, targets: pd.DataFrame, *, as_of=None) -> pd.DataFrame:
        """Progress, status, projection and rates; ``p_miss`` is NaN until the rule is fitted."""
        hist = validate_series(history)
        tg = validate_targets(targets)
        unknown = sorted(set(tg[ID]) - set(hist[ID]))
        if unknown:
            raise DataContractError(
                f"targets: no history for series {short(unknown)}", field=ID, ids=unknown
            )
        as_of = pd.Timestamp(as_of) if as_of is not None else None
        groups = {uid: g for uid, g in hist.groupby(ID, sort=False)}
        rows = [self._one(t, groups[t[ID]], as_of) for t in tg.to_dict("records")]
        return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)

    def _one(self, t: dict, g: pd.DataFrame, as_of) -> dict:
        S, D, T = t[START], t[DEADLINE], float(t[TARGET])
        direction, agg = t[DIRECTION], t[AGGREGATION]
        c, y_seen = _seen(t, g, as_of)
        n_before = int(np.searchsorted(y_seen.index.to_numpy(), np.datetime64(S), side="right"))
        so_far = pd.Series(y_seen.to_numpy()[n_before:])
        b = float(y_seen.iloc[n_before - 1]) if n_before else float(y_seen.iloc[0])
        f = float(np.clip((c - S) / (D - S), 0.0, 1.0))
        last = float(y_seen.iloc[-1])
        current, ratio = _progress(agg, 1.0 if direction == "higher" else -1.0, so_far, b, T, f, last)
        status = "green" if ratio >= self.on_track else "amber" if ratio >= self.at_risk else "red"
        slope, resid_sd, recent = _run_rate(y_seen.to_numpy()[-self.run_rate_window :], last)
        r = periods_between(c, D, g[DS])
        projected, required, current_rate, spread = _projection(agg, so_far, current, last, slope, resid_sd, recent, r, T)
        z80 = 1.2816
        p = float(self.miss_rate_[status]) if hasattr(self, "miss_rate_") else float("nan")
        reason_en, reason_zh = _reasons(agg, f, current, ratio, T, status, required, current_rate)
        return {
            "target_id": t["target_id"],
            ID: t[ID],
            "as_of": c,
            "p_miss": p,
            "status": status,
            "progress_ratio": float(ratio),
            "current": current,
            "projected": float(projected),
            "projected_lo": float(projected - z80 * spread),
            "projected_hi": float(projected + z80 * spread),
            "required_rate": float(required),
            "current_rate": float(current_rate),
            "reason_en": reason_en,
            "reason_zh": reason_zh,
        }


def _seen(t: dict, g: pd.DataFrame, as_of) -> tuple[pd.Timestamp, pd.Series]:
    """The assessment time (``as_of``, the last value's date by default, at most the
    deadline) and the observed values up to it, indexed by date."""
    ds_all = g[DS].to_numpy()
    c = min(as_of if as_of is not None else pd.Timestamp(ds_all.max()), t[DEADLINE])
    y_all = g[Y].to_numpy(dtype=float)
    keep = (ds_all <= np.datetime64(c)) & ~np.isnan(y_all)
    if not keep.any():
        raise DataContractError(
            f"targets: series {short([t[ID]])} has no value up to {c.date()}", field=ID, ids=[t[ID]]
        )
    return c, pd.Series(y_all[keep], index=ds_all[keep])


def _progress(agg: str, sign: float, so_far: pd.Series, b: float, T: float, f: float, last: float) -> tuple:
    """The period's value so far and the share of the planned progress it has made."""
    if agg == "sum":
        current = float(so_far.sum())
        planned = T * f
        ratio = 1.0 if planned == 0 else (current / planned if sign > 0 else (planned / current if current > 0 else 1.0))
        return current, ratio
    current = aggregate(so_far, agg) if not so_far.empty else last
    need = T - b
    if sign * need > 0 and f > 0:
        ratio = (current - b) / (need * f)
    elif sign * need > 0:
        ratio = 1.0
    else:  # the plan is no change or a fall: compare with the target directly
        ratio = 1.0 if sign * (current - T) >= 0 else (current / T if sign > 0 and T else T / current if current else 0.0)
    return current, ratio


def _run_rate(recent: np.ndarray, last: float) -> tuple[float, float, np.ndarray]:
    """Slope and residual spread of a straight line through the recent values."""
    slope, resid_sd = 0.0, float(np.std(recent)) if len(recent) > 1 else abs(last) * 0.05
    if len(recent) >= 3:
        x = np.arange(len(recent))
        slope, icpt = np.polyfit(x, recent, 1)
        resid_sd = float(np.std(recent - (icpt + slope * x), ddof=1)) if len(recent) > 3 else resid_sd
    return slope, resid_sd, recent


def _projection(agg, so_far, current, last, slope, resid_sd, recent, r, T) -> tuple:
    """Projected value at the deadline, the rate needed per remaining period, the current
    rate and the projection's spread, ``r`` periods before the deadline."""
    n_so_far = len(so_far)
    if agg == "last":
        projected = last + slope * r
        required = (T - last) / r if r >= 1 else T - last
        return projected, required, slope, resid_sd * np.sqrt(max(r, 1.0))
    if agg == "mean":
        future_mean = last + slope * (r + 1) / 2
        projected = (so_far.sum() + r * future_mean) / max(n_so_far + r, 1)
        required = ((n_so_far + r) * T - so_far.sum()) / r if r >= 1 else T
        spread = resid_sd * r / max(n_so_far + r, 1) * np.sqrt(max(r, 1.0))
        return projected, required, float(np.mean(recent)), spread
    per_period = float(np.mean(recent))
    projected = current + per_period * r
    required = (T - current) / r if r >= 1 else T - current
    return projected, required, per_period, resid_sd * np.sqrt(max(r, 1.0))


def _reasons(agg, f, current, ratio, T, status, required, current_rate) -> tuple[str, str]:
    reason_en = (
        f"With {f:.0%} of the period gone, the {agg} value {_fmt(current)} has made {ratio:.0%} of the "
        f"planned progress towards {_fmt(T)} (pace rule: {status}); reaching it needs "
        f"{_fmt(required)} per remaining period against a current {_fmt(current_rate)}."
    )
    reason_zh = (
        f"考核期已过 {f:.0%}，当前{ {'last': '最新值', 'mean': '均值', 'sum': '累计值'}[agg] } {_fmt(current)}，"
        f"完成计划进度的 {ratio:.0%}，目标 {_fmt(T)}（进度规则：{_STATUS_ZH[status]}）；"
        f"要达标，剩余每期需 {_fmt(required)}，目前为 {_fmt(current_rate)}。"
    )
    return reason_en, reason_zh
