"""Training steps: pure functions that build, fit and backtest one capability's model.

Each returns a :class:`TrainResult` with the fitted estimator, its parameters and its
backtest metrics as plain values; only the CLI's training entry point hands them to the
registry (MLflow). The same functions train on the bundled sample city or on a user's
own CSV files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.contracts import AREA, DEADLINE, DS, ID, Y, validate_feedback, validate_series, validate_targets
from govperf_ml.feedback import TfidfFeedbackClassifier
from govperf_ml.feedback.mixing import MixRule, keeping_shipped, training_mix
from govperf_ml.evaluation.metrics import coverage, mase_scale, prf, series_mae, smape
from govperf_ml.forecasting.backtest import rolling_backtest
from govperf_ml.forecasting.exog import exog_columns
from govperf_ml.targets import LinearPaceRule, build_episodes


@dataclass
class TrainResult:
    capability: str
    estimator: Any
    params: dict
    metrics: dict
    gate_metric: str
    greater_is_better: bool
    promote_on_tie: bool = False
    info: dict = field(default_factory=dict)


def _prf(pred: np.ndarray, true: np.ndarray) -> dict:
    """Point-level precision, recall and F1 of boolean flags against boolean labels."""
    return prf(int((pred & true).sum()), int((pred & ~true).sum()), int((~pred & true).sum()))


# ---------------------------------------------------------------------------- anomaly
def train_anomaly(
    series: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    directions: dict | None = None,
    *,
    holdout_periods: int = 12,
    estimator: AnomalyPipeline | None = None,
) -> TrainResult:
    """Tune the detector on all but the last ``holdout_periods`` of each series; score the rest.

    The backtest metric is point-level F1 of the flagged values against the labelled
    anomalies of the holdout periods (detectors are causal, so the holdout is scored
    with the whole history before it, as in production).
    """
    data = validate_series(series)
    est = estimator or AnomalyPipeline()
    ds_sorted = np.sort(data[DS].unique())
    cutoff = ds_sorted[-holdout_periods - 1] if len(ds_sorted) > holdout_periods + 8 else ds_sorted[len(ds_sorted) // 2]
    train = data[data[DS] <= cutoff]
    train_labels = labels[pd.to_datetime(labels[DS]) <= cutoff] if labels is not None else None
    est.fit(train, train_labels, directions=directions)
    scored = est.score(data, directions=directions)
    hold = scored[DS] > cutoff
    metrics: dict = {"threshold": float(est.rule_.threshold_)}
    if labels is not None:
        lab = pd.MultiIndex.from_frame(labels[[ID, DS]].assign(**{DS: pd.to_datetime(labels[DS])}))
        true = pd.MultiIndex.from_frame(scored[[ID, DS]]).isin(lab)
        m = _prf(scored["is_anomaly"].to_numpy()[hold], true[hold])
        metrics.update({f"holdout_{k}": float(v) for k, v in m.items()})
    else:
        metrics["holdout_f1"] = float("nan")
    metrics["holdout_alert_rate"] = float(scored["is_anomaly"][hold].mean())
    return TrainResult(
        "anomaly",
        est,
        {**{f"detector.{k}": v for k, v in est.detector_.get_params().items()}, "rule.threshold": est.rule_.threshold_,
         **{f"check.{n}.threshold": float(c.threshold) for n, c in est.checks_.items()},
         **{f"rule.{type(r).__name__}.{k}": v for r in est.rules_ for k, v in r.get_params().items()
            if isinstance(v, (int, float, str))},
         "ensemble": ",".join(est.ensemble_) or "none",
         "holdout_periods": holdout_periods, "n_series": int(data[ID].nunique())},
        metrics,
        gate_metric="holdout_f1",
        greater_is_better=True,
    )


# ---------------------------------------------------------------------------- forecast
def backtest_forecaster(est, data: pd.DataFrame, *, h: int, n_windows: int, level=(80, 95), freq=None,
                        refit: bool = False) -> pd.DataFrame:
    """Rolling-origin backtest: forecast h steps from n_windows cutoffs, join the actuals.

    The cutoffs are the panel's dates ``h``, ``2 h``... before its last one, common to all
    series (:func:`~govperf_ml.forecasting.backtest.rolling_backtest` with
    ``align="panel"``). With ``refit`` a fresh copy of the estimator is fitted on the history
    before each cutoff (needed for global models, which would otherwise have seen the answers).
    """
    return rolling_backtest(est, data, h=h, n_windows=n_windows, freq=freq, level=level, refit=refit, align="panel")


def forecast_metrics(bt: pd.DataFrame, alias: str, history: pd.DataFrame, season: int, level=(80, 95)) -> dict:
    """sMAPE over all backtest points, MASE (mean over series of MAE / in-sample seasonal
    naive MAE) and the coverage of each interval level."""
    y = bt[Y].to_numpy(float)
    scaled = (series_mae(bt, [alias])[alias] / mase_scale(history, season)).replace([np.inf], np.nan)
    out = {"smape": smape(y, bt[alias].to_numpy(float)), "mase": float(np.nanmean(scaled))}
    for lv in level:
        out[f"coverage{lv}"] = coverage(y, bt[f"{alias}-lo-{lv}"], bt[f"{alias}-hi-{lv}"])
    return out


def default_forecaster(h: int = 28, exog=None):
    """The served demand forecaster: LightGBM and AutoETS combined by backtest (see bench).

    ``exog`` names exogenous columns of the demand frame for the LightGBM member.
    """
    from govperf_ml.forecasting import BacktestEnsemble, LGBMForecaster, StatsForecaster

    return BacktestEnsemble(
        members=[
            LGBMForecaster(h=h, n_windows=1, max_rows=100_000, exog=list(exog) if exog else None),
            StatsForecaster(model="AutoETS", intervals="conformal", h=h, n_windows=1, max_length=365),
        ],
        h=h,
        n_windows=1,
    )


def train_forecast(
    demand: pd.DataFrame,
    *,
    h: int = 28,
    n_windows: int = 1,
    history_days: int | None = 730,
    estimator=None,
    exog=None,
) -> TrainResult:
    """Backtest the forecaster with refits before ``n_windows`` rolling origins, then fit it.

    ``history_days`` keeps the recent history only (daily demand: two years carry the
    weekly and yearly cycles; older data mostly costs time). ``exog`` names exogenous
    columns of ``demand`` for the default forecaster (ignored with ``estimator``).
    """
    from govperf_ml.features.time import season_length

    data = validate_series(demand)
    if history_days:
        data = data[data[DS] > data[DS].max() - pd.Timedelta(days=history_days)]
    est = estimator if estimator is not None else default_forecaster(h, exog)
    bt = backtest_forecaster(est, data, h=h, n_windows=n_windows, refit=True)
    est = clone(est).fit(data)
    freq = getattr(est, "freq_", None) or "D"
    alias = bt.columns[2]
    metrics = forecast_metrics(bt, alias, data, getattr(est, "season_length", None) or season_length(freq))
    params = {k: v for k, v in est.get_params(deep=False).items() if isinstance(v, (int, float, str, tuple))}
    return TrainResult(
        "forecast",
        est,
        {**params, "estimator": type(est).__name__, "freq": freq, "backtest_h": h, "backtest_windows": n_windows,
         "history_days": history_days or 0, "n_series": int(data[ID].nunique()),
         "exog": ",".join(exog_columns(est)) or "none"},
        metrics,
        gate_metric="mase",
        greater_is_better=False,
    )


# ---------------------------------------------------------------------------- targets
def train_targets(
    series: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    estimator=None,
) -> TrainResult:
    """Backtest on last year's targets, then fit the served model on everything.

    The backtest model sees only values up to one year before the last deadline and the
    targets due by then; it assesses each later target at 25 %, 50 % and 75 % of its
    period. Scores: Brier (the gate, lower is better), skill against the linear-pace
    rule fitted on the same data, ROC AUC and expected calibration error.
    """
    from govperf_ml.evaluation.metrics import brier_score, expected_calibration_error, roc_auc
    from govperf_ml.targets.risk import TargetRiskModel

    hist = validate_series(series)
    tg = validate_targets(targets)
    split = tg[DEADLINE].max() - pd.DateOffset(years=1)
    train_t, test_t = tg[tg[DEADLINE] <= split], tg[tg[DEADLINE] > split]
    past = hist[hist[DS] <= split]
    make = (lambda: clone(estimator)) if estimator is not None else TargetRiskModel
    model = make().fit(past, train_t)
    pace = LinearPaceRule().fit(past, train_t)
    episodes = build_episodes(hist, test_t)
    metrics: dict = {"n_test_episodes": float(len(episodes)), "n_train_episodes": float(model.n_episodes_)}
    if not episodes.empty:
        rows = []
        for as_of, grp in episodes.groupby("as_of"):
            seen = hist[hist[DS] <= as_of]
            cols = grp.drop(columns=["achieved", "missed", "as_of"])
            ours = model.assess(seen, cols, as_of=as_of)[["target_id", "p_miss"]]
            ref = pace.assess(seen, cols, as_of=as_of)[["target_id", "p_miss"]].rename(columns={"p_miss": "p_pace"})
            rows.append(ours.merge(ref, on="target_id").merge(grp[["target_id", "missed"]], on="target_id"))
        res = pd.concat(rows, ignore_index=True)
        y = res["missed"].to_numpy(float)
        b, bp = brier_score(res["p_miss"], y), brier_score(res["p_pace"], y)
        metrics.update({
            "brier": b, "brier_pace": bp, "brier_skill_vs_pace": 1 - b / bp if bp else float("nan"),
            "auc": roc_auc(res["p_miss"], y), "ece": expected_calibration_error(res["p_miss"], y),
            "miss_rate": float(y.mean()),
        })
    else:
        metrics["brier"] = float("nan")
    final = make().fit(hist, tg)
    if not episodes.empty:
        final.backtest_calibration_ = backtest_calibration(res["p_miss"].to_numpy(float), y, final.status)
    return TrainResult(
        "targets",
        final,
        {**final.get_params(), "n_targets": int(len(tg)), "split": str(split.date())},
        metrics,
        gate_metric="brier",
        greater_is_better=False,
    )


def backtest_calibration(p: np.ndarray, y: np.ndarray, status) -> dict:
    """What the served target model says of its own calibration: ECE, the reliability
    table (10 equal-width bins, empty ones left out) and the observed miss rate per status
    with its count, from the backtest."""
    from govperf_ml.evaluation.metrics import expected_calibration_error, reliability_table

    table = reliability_table(p, y, n_bins=10).query("count > 0")
    colours = np.asarray(status(p))
    by_status = {c: {"n": int((colours == c).sum()),
                     "miss_rate": float(y[colours == c].mean()) if (colours == c).any() else None}
                 for c in ("green", "amber", "red")}
    return {"n": int(len(y)), "ece": expected_calibration_error(p, y),
            "reliability": [{"bin": int(r.bin), "p_mean": float(r.p_mean), "y_rate": float(r.y_rate),
                             "count": int(r.count)} for r in table.itertuples()],
            "by_status": by_status}


# ---------------------------------------------------------------------------- feedback
def train_feedback(
    messages: pd.DataFrame,
    *,
    corrections: pd.DataFrame | None = None,
    shipped: pd.DataFrame | None = None,
    rule: MixRule | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    estimator=None,
    model: str | None = None,
) -> TrainResult:
    """Fit on a stratified 80 % (plus handlers' corrections); score macro-F1 on the fixed 20 %.

    The held-out split depends only on the seed and the corpus, so successive versions are
    compared on the same messages.

    ``shipped`` (the bundled + generated text, :func:`~govperf_ml.sample_city.load_training_corpus`)
    is mixed in when ``messages`` are a department's own records; without it ``messages``
    are the base text. Department records and corrections weigh more than the shipped
    text, which is left out once every area has enough department labels (only with
    ``shipped``: the held-out set is then the department's;
    :func:`~govperf_ml.feedback.mixing.training_mix`, ``rule``: its weights).

    ``model`` (default ``$GOVPERF_FEEDBACK_MODEL`` or ``"blend"``) picks the estimator when
    none is given: ``"blend"`` (the served default,
    :func:`~govperf_ml.feedback.classifiers.served_default_classifier`: TF-IDF + multilingual
    USE embeddings + the zero-shot area prior from the taxonomy's descriptions; numpy only,
    Apache-2.0 weights), ``"tfidf"`` (:class:`TfidfFeedbackClassifier`, char n-gram TF-IDF
    alone, ~10x faster to train) or ``"ensemble"`` (TF-IDF + ``$GOVPERF_EMBEDDING_MODEL``,
    default m3e-small, non-commercial licence). See ``govperf bench feedback`` for each one's
    figures on real messages.
    """
    est = _feedback_estimator(estimator, model)
    data = validate_feedback(messages, require_labels=True)
    train, test = train_test_split(data, test_size=test_size, random_state=seed, stratify=data[AREA])
    rule = rule or MixRule()
    if shipped is None:  # messages are the shipped text and the held-out set: never left out
        train, weights = training_mix(train, None, corrections, rule=keeping_shipped(rule))
    else:
        train, weights = training_mix(shipped, train, corrections, rule=rule)
    est.fit(train) if weights is None else est.fit(train, sample_weight=weights)
    metrics = {**_feedback_metrics(est, test), "n_train": float(len(train)), "n_test": float(len(test)),
               "n_upweighted": float(0 if weights is None else (weights > 1).sum())}
    return TrainResult(
        "feedback",
        est,
        {**{k: v for k, v in est.get_params(deep=False).items() if k not in ("embedder", "taxonomy")},
         "estimator": type(est).__name__, "embedding_model": getattr(getattr(est, "embedder_", None), "name_", "none"),
         "test_size": test_size, "seed": seed,
         "n_corrections": int(len(corrections)) if corrections is not None else 0,
         "shipped_text_in": weights is not None, "own_weight": rule.own_weight,
         "correction_weight": rule.correction_weight, "enough_per_area": rule.enough_per_area},
        metrics,
        gate_metric="holdout_macro_f1",
        greater_is_better=True,
        promote_on_tie=True,  # a retrain on corrections is kept unless it gets worse
    )


def _feedback_estimator(estimator, model: str | None):
    """``estimator``, or a new one of the kind ``model`` / ``$GOVPERF_FEEDBACK_MODEL`` names."""
    import os

    from govperf_ml.feedback import EnsembleFeedbackClassifier
    from govperf_ml.feedback.classifiers import served_default_classifier

    kind = (model or os.environ.get("GOVPERF_FEEDBACK_MODEL") or "blend").lower()
    makers = {"blend": served_default_classifier, "ensemble": EnsembleFeedbackClassifier, "tfidf": TfidfFeedbackClassifier}
    if estimator is None and kind not in makers:
        raise ValueError(f"feedback model {kind!r}: use one of {sorted(makers)}")
    return estimator or makers[kind]()


def _feedback_metrics(est, test: pd.DataFrame) -> dict:
    """Held-out macro-F1 and accuracy of the service areas, and F1 of the dimensions if any."""
    pred = est.predict(test["text"].tolist())
    metrics = {
        "holdout_macro_f1": float(f1_score(test[AREA], pred, average="macro")),
        "holdout_accuracy": float(accuracy_score(test[AREA], pred)),
    }
    if getattr(est, "dim_model_", None) is not None and "dimensions" in test.columns:
        Q = est.predict_dimensions_proba(test["text"].tolist()) >= est.dimension_threshold
        T = np.array([[d in dims for d in est.dimension_classes_] for dims in test["dimensions"]])
        metrics["holdout_dim_micro_f1"] = float(f1_score(T, Q, average="micro", zero_division=0))
        metrics["holdout_dim_macro_f1"] = float(f1_score(T, Q, average="macro", zero_division=0))
    return metrics
