"""Targets bench: target episodes built from real series with a fixed protocol.

For each series (train and test joined, length n) and M4 horizon h: start times
S = n-2h, n-3h, n-4h (skipped with fewer than 3h values up to S); baseline b = mean of the
h values up to and including S; deadline D = S+2h; assessment at c = S+h. For every
g in {-0.05, 0, +0.05, +0.10}: a higher-is-better target b(1+g) and a lower-is-better
target b(1-g), both on the mean of the h values in (c, D]. Only values up to c are seen.

Models: ours (the served TargetRiskModel: scale-free features of the assessment, with an
empirical forecast of the period mean, into a LightGBM classifier), its uncalibrated
empirical probability alone, the linear-pace rule (green ≥ 95 % of planned progress,
amber ≥ 75 %, red below) turned into a probability by its observed miss rate per status,
and a persistence rule (the current level, mean of (S, c], meets the target or not, by its
observed miss rate). Everything learned is learned with grouped 5-fold cross-validation by
series, so no series is scored by a model that saw it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from govperf_ml.bench import BenchResult, load_m4_task
from govperf_ml.contracts import DataContractError
from govperf_ml.targets.features import assessment_features
from govperf_ml.targets.forecast_prob import forecast_paths
from govperf_ml.targets.risk import TargetRiskModel
from govperf_ml.evaluation.metrics import (
    brier_score, brier_skill_score, expected_calibration_error, log_loss, reliability_table, roc_auc,
)

GAPS = (-0.05, 0.0, 0.05, 0.10)


def build_episodes(train: pd.DataFrame, test: pd.DataFrame, h: int, m: int = 1, *, forecast: bool = False,
                   cut=()) -> pd.DataFrame:
    """Episodes of every series; with ``forecast``, the forecaster's ``p_forecast`` too (one
    AutoETS fit per series and start time). Series in ``cut`` are seen only over their last
    ``m + h + 2`` values (3 past origins: a short history) where they had more."""
    full = pd.concat([train, test]).sort_values(["unique_id", "ds"])
    cut = set(cut)
    rows = []
    for uid, g in full.groupby("unique_id", sort=False):
        y = g["y"].to_numpy(float)
        for k in (2, 3, 4):
            S = len(y) - k * h  # index of the last value seen at the start (0-based: y[S-1])
            if S >= 3 * h:
                rows += _start_rows(uid, y, S, h, m, forecast=forecast, short=uid in cut)
    return pd.DataFrame(rows)


def _start_rows(uid, y: np.ndarray, S: int, h: int, m: int, *, forecast: bool, short: bool) -> list[dict]:
    """The episodes of one series and start time: every gap, both directions."""
    b = y[S - h : S].mean()
    current = y[S : S + h].mean()  # (S, c]
    outcome = y[S + h : S + 2 * h].mean()  # (c, D]
    seen = y[: S + h]  # only values up to c
    if short:
        seen = seen[-(m + h + 2):]
    paths = forecast_paths(seen, horizon=h, season=m) if forecast else None
    rows = []
    for gap in GAPS:
        for direction, target in (("higher", b * (1 + gap)), ("lower", b * (1 - gap))):
            feats = assessment_features(seen, target=target, direction=direction, aggregation="mean", baseline=b,
                                        period_len=h, gap=0, done=np.empty(0), elapsed=0.5, season=m, paths=paths)
            rows.append({"unique_id": uid, "S": S, "gap": gap, "direction": direction, "b": b, "target": target,
                         "current": current, "short_history": short, **feats,
                         "missed": outcome < target if direction == "higher" else outcome > target})
    return rows


def pace_status(ep: pd.DataFrame) -> np.ndarray:
    sign = np.where(ep["direction"] == "higher", 1.0, -1.0)
    need = ep["target"] - ep["b"]
    planned = need * 0.5  # c is half-way from S to D
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sign * need > 0, (ep["current"] - ep["b"]) / planned,
                         np.where(sign * (ep["current"] - ep["target"]) >= 0, 1.0, 0.0))
    return np.where(ratio >= 0.95, "green", np.where(ratio >= 0.75, "amber", "red"))


def persistence_status(ep: pd.DataFrame) -> np.ndarray:
    sign = np.where(ep["direction"] == "higher", 1.0, -1.0)
    return np.where(sign * (ep["current"] - ep["target"]) >= 0, "meets", "misses")


def rate_by_status(status: np.ndarray, missed: np.ndarray, groups: np.ndarray, n_splits=5) -> np.ndarray:
    """Out-of-fold probability: the miss rate of each status on the other series."""
    p = np.empty(len(status))
    for tr, te in GroupKFold(n_splits=n_splits).split(status, missed, groups):
        rates = pd.Series(missed[tr]).groupby(status[tr]).agg(["sum", "count"])
        rate = (rates["sum"] + 1) / (rates["count"] + 2)
        p[te] = pd.Series(status[te]).map(rate).fillna(missed[tr].mean()).to_numpy()
    return p


def ours_oof(ep: pd.DataFrame, y: np.ndarray, groups: np.ndarray, n_splits=5) -> np.ndarray:
    """Out-of-fold probabilities of the served risk model's classifier."""
    p = np.empty(len(y))
    for tr, te in GroupKFold(n_splits=n_splits).split(ep, y, groups):
        model = TargetRiskModel().fit_features(ep.iloc[tr], y[tr])
        p[te] = model.predict_features(ep.iloc[te])
    return p


def scores(p: np.ndarray, y: np.ndarray, p_ref: np.ndarray) -> dict:
    return {"brier": brier_score(p, y), "brier_skill_vs_pace": brier_skill_score(p, y, p_ref), "log_loss": log_loss(p, y),
            "auc": roc_auc(p, y), "ece": expected_calibration_error(p, y, n_bins=10)}


def run(data: Path, *, freq: str = "weekly", quick: bool = False) -> BenchResult:
    freq, h, m, train, test = load_m4_task(data, freq, quick_series=60 if quick else None)
    ep = build_episodes(train, test, h, m)
    if ep.empty:
        raise DataContractError("no target episode could be built: series too short for the protocol", field="data")
    y = ep["missed"].to_numpy(bool)
    groups = ep["unique_id"].to_numpy()
    p_pace = rate_by_status(pace_status(ep), y, groups)
    p_persist = rate_by_status(persistence_status(ep), y, groups)
    p_ours = ours_oof(ep, y.astype(int), groups)
    models = {"govperf risk model (ours)": p_ours, "empirical probability (ours, uncalibrated)": ep["p_empirical"].to_numpy(),
              "linear pace (OKR rule)": p_pace, "persistence": p_persist}
    table = pd.DataFrame([{"model": k, **scores(v, y, p_pace)} for k, v in models.items()])
    rel = reliability_table(p_ours, y, n_bins=10)
    ours = table.iloc[0]
    summary = {"brier": round(ours["brier"], 4), "brier_skill_vs_pace": round(ours["brier_skill_vs_pace"], 4),
               "auc": round(ours["auc"], 4), "ece": round(ours["ece"], 4), "episodes": int(len(ep))}
    notes = [f"{len(ep)} episodes from {ep['unique_id'].nunique()} series; miss rate {y.mean():.3f}"]
    return BenchResult([(f"Target episodes, M4 {freq} (h={h}); grouped 5-fold CV by series", table),
                        ("Reliability of our probability (10 bins)", rel)], summary, notes)
