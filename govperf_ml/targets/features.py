"""Features of one target assessment, from the values seen up to the assessment time.

All features are scale-free (relative to the recent level), so one model learns from
series of any size. The central one is an empirical probability of missing: over every
past origin of the same series, how often did the mean of the following ``period_len``
values (after ``gap`` periods), relative to the mean of the season before the origin,
move the level to the wrong side of the target? That is a non-parametric forecast of
the period mean's distribution, with the series' own drift, seasonality and noise.
"""

from __future__ import annotations

import numpy as np

from govperf_ml.targets.forecast_prob import period_means

FEATURES = (
    "p_empirical", "z_gap", "gap_to_target", "gap_current", "gap_recent", "pace_ratio", "elapsed",
    "volatility", "trend", "drift", "higher", "agg_sum", "agg_last",
)
# the forecaster's probability of missing (forecast_prob.py): an opt-in input, computed only
# when paths are given (an AutoETS fit per assessment)
ALL_FEATURES = FEATURES + ("p_forecast",)


def _windows_mean(y: np.ndarray, width: int) -> np.ndarray:
    """Mean of each run of ``width`` consecutive values (valid positions only)."""
    if width <= 0 or len(y) < width:
        return np.empty(0)
    c = np.cumsum(np.r_[0.0, y])
    return (c[width:] - c[:-width]) / width


def empirical_ratios(y: np.ndarray, *, base_len: int, gap: int, period_len: int, max_origins: int = 400,
                     season: int = 1) -> np.ndarray:
    """Ratios mean(next period) / mean(base window) over past origins of the series.

    With ``season`` > 1 only origins at the same phase of the season as the current one
    (the last value of ``y``) are kept when at least 5 of them exist: a six-month window
    after June is not a six-month window after December.
    """
    base = _windows_mean(y, base_len)  # base[i] = mean(y[i : i+base_len]); origin at i+base_len-1
    fut = _windows_mean(y, period_len)  # fut[j] = mean(y[j : j+period_len])
    n_orig = len(y) - base_len - gap - period_len + 1
    if n_orig <= 0:
        return np.empty(0)
    b = base[:n_orig]
    f = fut[base_len + gap : base_len + gap + n_orig]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = f / b
    ok = np.isfinite(r)
    if season > 1:
        same_phase = ok & ((len(y) - base_len - np.arange(n_orig)) % season == 0)
        if same_phase.sum() >= 5:
            ok = same_phase
    return r[ok][-max_origins:]


def assessment_features(
    y: np.ndarray,
    *,
    target: float,
    direction: str,
    aggregation: str,
    baseline: float,
    period_len: int,
    gap: int,
    done: np.ndarray,
    elapsed: float,
    season: int,
    paths: np.ndarray | None = None,
) -> dict:
    """Features of one assessment.

    Parameters
    ----------
    y : observed values up to the assessment time (NaN dropped), oldest first.
    target, direction, aggregation : the target.
    baseline : the level when the target was set (start of the planned path).
    period_len : number of values the target aggregates that are still to come.
    gap : periods between the assessment time and the first of those values.
    done : values of the target period already observed (their aggregate counts too).
    elapsed : share of the plan's time already gone (0..1).
    season : season length of the series (1 if none).
    paths : simulated future paths of the series (``forecast_prob.forecast_paths``, at least
        ``gap + period_len`` steps); when given, ``p_forecast`` is their probability of missing.
    """
    sign = 1.0 if direction == "higher" else -1.0
    y = np.asarray(y, dtype=float)
    m = int(max(1, min(season, len(y))))
    level = float(np.mean(y[-m:]))
    scale = abs(level) if level != 0 else (np.mean(np.abs(y)) or 1.0)
    recent = float(np.mean(y[-min(len(y), max(1, min(period_len, 4))) :]))
    ratios, n_origins = _future_ratios(y, m=m, gap=gap, period_len=period_len, scale=scale)
    achieved = _achieved(level * ratios, done, aggregation, period_len)
    centre = float(np.median(achieved))
    spread = float(np.subtract(*np.percentile(achieved, [84, 16])) / 2) or 1e-9 * scale
    current_agg, pace = _pace(done, recent, target=target, baseline=baseline, aggregation=aggregation, sign=sign,
                              elapsed=elapsed)
    t_len = min(len(y), 3 * m)
    trend = float(np.polyfit(np.arange(t_len), y[-t_len:], 1)[0] / scale) if t_len >= 3 else 0.0
    return {
        "p_empirical": miss_probability(achieved, target, sign),
        "z_gap": float(sign * (centre - target) / spread),
        "gap_to_target": float(sign * (level - target) / scale),
        "gap_current": float(sign * (current_agg - target) / scale) if aggregation != "sum" else float(sign * (centre - target) / scale),
        "gap_recent": float(sign * (recent - target) / scale),
        "pace_ratio": float(np.clip(pace, -5, 5)),
        "elapsed": float(elapsed),
        "volatility": float(np.std(ratios)),
        "trend": float(sign * trend),
        "drift": float(sign * (np.median(ratios) - 1)),
        "higher": float(sign > 0),
        "agg_sum": float(aggregation == "sum"),
        "agg_last": float(aggregation == "last"),
        "projected": centre,
        "projected_lo": float(np.percentile(achieved, 10)),
        "projected_hi": float(np.percentile(achieved, 90)),
        # not model inputs: how much the empirical forecast rests on (for calibration.py)
        "n_origins": float(n_origins),
        "horizon": float(gap + period_len),
        **({} if paths is None else
           {"p_forecast": forecast_probability(paths, target=target, direction=direction, aggregation=aggregation,
                                               period_len=period_len, gap=gap, done=done)}),
    }


def miss_probability(achieved: np.ndarray, target: float, sign: float) -> float:
    """Share of the draws of the aggregate on the wrong side of the target (half a miss added
    to the count and one draw to the total, so never exactly 0 or 1)."""
    miss = sign * (np.asarray(achieved) - target) < 0
    return float((miss.sum() + 0.5) / (len(miss) + 1.0))


def forecast_probability(paths: np.ndarray, *, target: float, direction: str, aggregation: str, period_len: int,
                         gap: int, done: np.ndarray) -> float:
    """Probability of missing from the forecaster's simulated paths of the values to come."""
    fut = period_means(np.asarray(paths, dtype=float), gap=gap, period_len=period_len)
    achieved = _achieved(fut, np.asarray(done, dtype=float), aggregation, period_len)
    return miss_probability(achieved, target, 1.0 if direction == "higher" else -1.0)


def _future_ratios(y: np.ndarray, *, m: int, gap: int, period_len: int, scale: float) -> tuple[np.ndarray, int]:
    """Empirical ratios of the coming period's mean to the current level and how many past
    origins they come from; with fewer than 5, a seeded random-walk guess from the recent
    changes."""
    # a window of whole seasons looks the same from every phase; any other from its own only
    phase = m if (gap + max(period_len, 1)) % m else 1
    ratios = empirical_ratios(y, base_len=m, gap=gap, period_len=max(period_len, 1), season=phase)
    if len(ratios) >= 5:
        return ratios, len(ratios)
    d = np.diff(y) / scale if len(y) > 2 else np.array([0.05])
    sd = float(np.std(d)) * np.sqrt(gap + period_len) if len(d) else 0.05
    return 1 + np.random.default_rng(0).normal(0, max(sd, 1e-3), 200), len(ratios)


def _achieved(fut_mean: np.ndarray, done: np.ndarray, aggregation: str, period_len: int) -> np.ndarray:
    """Distribution of the period's aggregate from that of the mean of the values to come."""
    total = len(done) + period_len
    if aggregation == "mean":
        return (np.sum(done) + period_len * fut_mean) / max(total, 1)
    if aggregation == "sum":
        return np.sum(done) + period_len * fut_mean
    return fut_mean  # last: the last value is near the period mean of the last values to come


def _pace(done: np.ndarray, recent: float, *, target, baseline, aggregation, sign, elapsed) -> tuple[float, float]:
    """The period's aggregate so far and its progress against the planned straight line."""
    if aggregation == "sum":
        planned = target * elapsed
        current_agg = float(np.sum(done))
        pace = current_agg / planned if planned else 1.0
        if sign < 0:
            pace = planned / current_agg if current_agg else 1.0
        return current_agg, pace
    pace_need = target - baseline
    current_agg = float(np.mean(done)) if len(done) else recent
    if sign * pace_need > 0 and elapsed > 0:
        return current_agg, (current_agg - baseline) / (pace_need * elapsed)
    return current_agg, (1.0 if sign * (current_agg - target) >= 0 else 0.0)
