"""A calibrated probability of missing each target, with reasons.

For a target (value by a deadline, direction, aggregation last/mean/sum over its period)
assessed at a date, :func:`~govperf_ml.targets.features.assessment_features` forecasts the
distribution of the aggregate at the deadline from the series' own past (an empirical,
non-parametric forecast) and describes the assessment with scale-free features. A
LightGBM classifier trained on backtested target episodes turns them into ``p_miss``;
its feature contributions (SHAP values) become the reasons.

Episodes come from the user's past targets and, so that a department with few past
targets still gets a model, from synthetic targets set on its own series with the same
protocol as the benchmark (baseline = mean of the last period, targets at −5 %..+10 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import (
    AGGREGATION, DEADLINE, DIRECTION, DS, ID, START, TARGET, Y, DataContractError, short, validate_series,
    validate_targets,
)
from govperf_ml.features.time import infer_freq, season_length
from govperf_ml.targets.calibration import MIN_ORIGINS, Familiarity, ProbabilityCalibrator, shrink
from govperf_ml.targets.checks import MIN_HISTORY, check_targets, observed_counts
from govperf_ml.targets.episodes import aggregate, build_episodes
from govperf_ml.targets.features import ALL_FEATURES, FEATURES, assessment_features, forecast_probability
from govperf_ml.targets.forecast_prob import forecast_paths
from govperf_ml.targets.pace import LinearPaceRule
from govperf_ml.targets.reasons import REASONS, shrunk_note

OUTPUT_COLUMNS = [
    "target_id", ID, "as_of", "p_miss", "status", "pace_status", "current", "projected", "projected_lo",
    "projected_hi", "required_rate", "current_rate", "reason_en", "reason_zh",
]

_HORIZON = {"M": 6, "Q": 2, "W": 13, "D": 28, "H": 48}  # synthetic target period per frequency


def _frac(start, deadline, as_of) -> float:
    return float(np.clip((as_of - start) / (deadline - start), 0.0, 1.0))


def _paths(cache: dict, key: tuple, y: np.ndarray) -> np.ndarray:
    """The forecaster's paths of a series seen up to ``key[1]`` values, ``key[2]`` steps ahead
    with season ``key[3]``, fitted once per key."""
    if key not in cache:
        cache[key] = forecast_paths(y, horizon=key[2], season=key[3])
    return cache[key]


class TargetRiskModel(BaseEstimator):
    """Probability of missing a target, learned on backtested target episodes.

    Parameters
    ----------
    red, amber : float
        Cut-offs on ``p_miss``: red at or above ``red``, amber at or above ``amber``.
    synthetic_gaps : tuple of float
        Relative targets set on the series' own history to make training episodes
        (empty: only past targets are used).
    synthetic_windows : tuple of float
        Windows of the synthetic targets' mean, as shares of the frequency's target period
        (at least one value each). ``(1.0, 0.5, 0.0)`` covers short windows too, but on the
        sample city's backtest it cost Brier 0.1361 -> 0.1390, so the default keeps whole
        periods and lets shrinkage handle short windows.
    max_synthetic : int
        Cap on synthetic episodes (0: none).
    min_episodes : int
        Below this many episodes no classifier is trained and ``p_miss`` is the
        empirical probability itself.
    n_estimators, learning_rate, num_leaves : LightGBM settings.
    features : tuple of str
        Model inputs (a subset of ``ALL_FEATURES``: ``FEATURES`` and ``p_forecast``, the
        forecaster's probability, which costs an AutoETS fit per assessment).
    monotone : bool
        Constrain ``p_miss`` to rise with ``p_empirical`` and fall with ``z_gap`` and
        ``gap_to_target``.
    calibration : {"none", "isotonic", "sigmoid"}
        Map fitted on out-of-fold predictions (folds: the ``groups`` given to
        ``fit_features``, e.g. corpora or series).
    shrink_strength : float
        How strongly ``p_miss`` is shrunk towards a reference when an assessment lies
        outside the training episodes' range (few past origins, short window, unusual
        volatility; see :mod:`govperf_ml.targets.calibration`); 0: never.
    shrink_towards : {"auto", "forecast", "empirical", "pace", "prior"}
        The reference: the series' own empirical probability, the pace rule's miss rate
        for the target's colour, or the training episodes' miss rate; "auto": the training
        miss rate where the series' volatility is unusual (its own empirical forecast is then
        unreliable too), its empirical probability otherwise (little history or a short
        window: the learned map extrapolates, the series' own frequencies do not); "forecast":
        as "auto", but where the empirical forecast rests on fewer than ``MIN_ORIGINS`` past
        origins, the forecaster's probability ``p_forecast`` (AutoETS paths) instead.
    random_state : int
    """

    def __init__(self, *, red=0.6, amber=0.3, synthetic_gaps=(-0.2, -0.1, -0.05, 0.0, 0.05, 0.10, 0.2),
                 synthetic_windows=(1.0,), max_synthetic=3000,
                 min_episodes=200, n_estimators=300, learning_rate=0.03, num_leaves=15, features=FEATURES,
                 monotone=True, calibration="none", shrink_strength=4.0, shrink_towards="auto", random_state=0):
        self.red = red
        self.amber = amber
        self.synthetic_gaps = synthetic_gaps
        self.synthetic_windows = synthetic_windows
        self.max_synthetic = max_synthetic
        self.min_episodes = min_episodes
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.features = features
        self.monotone = monotone
        self.calibration = calibration
        self.shrink_strength = shrink_strength
        self.shrink_towards = shrink_towards
        self.random_state = random_state

    # ------------------------------------------------------------------ the classifier
    def _classifier(self):
        import lightgbm as lgb

        # more empirical risk never lowers p_miss; clearing the target by more never raises it
        signs = {"p_empirical": 1, "z_gap": -1, "gap_to_target": -1}
        return lgb.LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=40, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            monotone_constraints=[signs.get(f, 0) if self.monotone else 0 for f in self.features],
            # one thread: like the forecaster's (forecasting/lgbm.py), OpenMP's spinning barriers
            # on 2 shared cores made a 2-thread fit several times slower, with the same trees
            random_state=self.random_state, verbose=-1, n_jobs=1,
        )

    def _forecast_mode(self) -> str:
        """When the forecaster's paths are needed: "all" (an input), "short" (the reference
        of assessments with few past origins) or "none"."""
        if "p_forecast" in getattr(self, "features", FEATURES):
            return "all"
        return "short" if getattr(self, "shrink_towards", "auto") == "forecast" else "none"

    def _features_used(self) -> list[str]:
        return list(getattr(self, "features_", FEATURES))

    def fit_features(self, X: pd.DataFrame, y, groups=None) -> TargetRiskModel:
        """Fit on a feature table (columns ``features``) and outcomes (1 = missed).

        ``groups`` (one label per row) are the folds of the calibration map's out-of-fold
        predictions; without them, five folds in row order.
        """
        if not 0 < self.amber <= self.red <= 1:
            raise ValueError("need 0 < amber <= red <= 1")
        unknown = sorted(set(self.features) - set(ALL_FEATURES))
        if unknown or not self.features:
            raise ValueError(f"features must be a non-empty subset of ALL_FEATURES; unknown: {unknown}")
        y = np.asarray(y, dtype=int)
        self.features_ = tuple(self.features)
        self.n_episodes_ = int(len(y))
        self.miss_rate_ = float(y.mean()) if len(y) else float("nan")
        self.model_ = None
        self.calibrator_ = ProbabilityCalibrator("none")
        if len(y) >= self.min_episodes and 0 < y.sum() < len(y):
            cols = self._features_used()
            self.model_ = self._classifier().fit(X[cols], y)
            if self.calibration != "none":
                self.calibrator_ = ProbabilityCalibrator(self.calibration).fit(self._oof(X[cols], y, groups), y)
        self.familiarity_ = Familiarity(self.shrink_strength).fit(X)
        return self

    def _oof(self, X: pd.DataFrame, y: np.ndarray, groups) -> np.ndarray:
        """Out-of-fold raw probabilities for the calibration map."""
        if groups is None or len(np.unique(groups)) < 2:  # five folds in row order
            groups = np.arange(len(y)) * 5 // max(len(y), 1)
        groups = np.asarray(groups)
        n_splits = min(5, len(np.unique(groups)))
        p = np.empty(len(y))
        for tr, te in GroupKFold(n_splits=n_splits).split(X, y, groups):
            fold = self._classifier().fit(X.iloc[tr], y[tr]) if 0 < y[tr].sum() < len(tr) else None
            p[te] = fold.predict_proba(X.iloc[te])[:, 1] if fold is not None else y[tr].mean()
        return p

    def predict_features(self, X: pd.DataFrame, p_pace=None) -> np.ndarray:
        """``p_miss`` of each row; with ``p_pace`` (the pace rule's miss rate of each row),
        shrunk towards ``shrink_towards`` where the row is unfamiliar (see :meth:`familiarity`)."""
        check_is_fitted(self, "n_episodes_")
        if self.model_ is None:
            p = X["p_empirical"].to_numpy(float)
        else:
            p = self.model_.predict_proba(X[self._features_used()])[:, 1]
            p = getattr(self, "calibrator_", ProbabilityCalibrator("none")).transform(p)
        # without a classifier p is the series' own empirical probability: nothing to extrapolate
        if p_pace is not None and self.model_ is not None and getattr(self, "familiarity_", None) is not None:
            p = shrink(p, self.reference(X, p_pace), self.familiarity(X)[0])
        return np.clip(p, 0.0, 1.0)

    def reference(self, X: pd.DataFrame, p_pace, towards: str | None = None) -> np.ndarray:
        """What an unfamiliar assessment's ``p_miss`` is shrunk towards (see ``shrink_towards``)."""
        towards = towards or getattr(self, "shrink_towards", "pace")
        if towards in ("auto", "forecast"):
            odd = np.asarray(self.familiarity(X)[1]) == "unusual volatility"
            return np.where(odd, self.miss_rate_, self._own_probability(X, forecast=towards == "forecast"))
        if towards == "empirical":
            return X["p_empirical"].to_numpy(float)
        if towards == "prior":
            return np.full(len(X), self.miss_rate_)
        if towards == "pace":
            return np.asarray(p_pace, dtype=float)
        raise ValueError(f"shrink_towards must be auto, forecast, empirical, pace or prior; got {towards!r}")

    @staticmethod
    def _own_probability(X: pd.DataFrame, forecast: bool) -> np.ndarray:
        """The series' empirical probability; with ``forecast``, the forecaster's where the
        empirical one rests on fewer than ``MIN_ORIGINS`` origins (and ``p_forecast`` exists)."""
        p = X["p_empirical"].to_numpy(float)
        if not forecast or "p_forecast" not in X:
            return p
        few = (X["n_origins"].to_numpy(float) < MIN_ORIGINS) & X["p_forecast"].notna().to_numpy()
        return np.where(few, X["p_forecast"].to_numpy(float), p)

    def familiarity(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Weight of the model's own probability per row (1: like the training episodes)
        and the main reason where it is below 1."""
        check_is_fitted(self, "n_episodes_")
        return self.familiarity_.weight(X)

    def _familiarity_or_none(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        if self.model_ is None or getattr(self, "familiarity_", None) is None:
            return np.ones(len(X)), [""] * len(X)
        return self.familiarity(X)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Per-feature contributions (log-odds) of each prediction, one column per name in
        ``ALL_FEATURES`` (zeros for unused features and without a model)."""
        out = np.zeros((len(X), len(ALL_FEATURES)))
        if self.model_ is None:
            out[:, ALL_FEATURES.index("p_empirical")] = X["p_empirical"].to_numpy(float) - 0.5
            return out
        cols = self._features_used()
        c = self.model_.booster_.predict(X[cols].to_numpy(float), pred_contrib=True)[:, :-1]
        out[:, [ALL_FEATURES.index(f) for f in cols]] = c
        return out

    # ------------------------------------------------------------------ episodes
    @staticmethod
    def _series_info(hist: pd.DataFrame) -> dict:
        """Per series: observed timestamps and values as arrays, frequency, season, spacing."""
        info = {}
        for uid, g in hist.groupby(ID, sort=False):
            obs = g.dropna(subset=[Y])
            freq = infer_freq(g[DS])
            step = np.median(np.diff(g[DS].to_numpy())) if len(g) > 1 else np.timedelta64(30, "D")
            info[uid] = (obs[DS].to_numpy(), obs[Y].to_numpy(float), freq, season_length(freq), step)
        return info

    def _features(self, t: dict, info: tuple, as_of: pd.Timestamp, cache: dict | None = None) -> dict:
        """Features of one target at ``as_of``; ``cache``: the forecaster's paths per series,
        values seen and horizon, shared by the targets of one call."""
        ds, values, freq, season, step = info
        S, D, T = np.datetime64(t[START]), np.datetime64(t[DEADLINE]), float(t[TARGET])
        c = np.datetime64(as_of)
        n_seen = int(np.searchsorted(ds, c, side="right"))
        if n_seen == 0:
            raise DataContractError(f"targets: series {short([t[ID]])} has no value up to {pd.Timestamp(c).date()}",
                                    field=ID, ids=[t[ID]])
        y = values[:n_seen]
        n_before = int(np.searchsorted(ds, S, side="right"))
        b = float(y[n_before - 1]) if n_before > 0 else float(y[0])
        m = season if len(y) >= 2 * season else 1
        r = int(round(max(0.0, (D - c) / step)))
        done = y[min(n_before, n_seen):]
        agg = t[AGGREGATION]
        if agg == "last":
            gap, period_len, done_used = max(r - 1, 0), 1, np.empty(0)
        else:
            gap, period_len, done_used = 0, max(r, 1), done
        kw = dict(target=T, direction=t[DIRECTION], aggregation=agg, period_len=period_len, gap=gap, done=done_used)
        key, cache = (t[ID], n_seen, gap + period_len, m), {} if cache is None else cache
        f = assessment_features(y, baseline=b, elapsed=_frac(t[START], t[DEADLINE], pd.Timestamp(c)), season=m,
                                paths=_paths(cache, key, y) if self._forecast_mode() == "all" else None, **kw)
        if self._forecast_mode() == "short" and f["n_origins"] < MIN_ORIGINS:
            f["p_forecast"] = forecast_probability(_paths(cache, key, y), **kw)
        f["_current"] = aggregate(pd.Series(done), agg) if len(done) else float(y[-1])
        return f

    def _episode_table(self, hist: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
        info = self._series_info(hist)
        cache = {}
        rows = [self._features(t, info[t[ID]], t["as_of"], cache) for t in episodes.to_dict("records")]
        return pd.DataFrame(rows)

    def synthetic_table(self, hist: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        """Features and outcomes of targets set on each series' own past.

        The benchmark's protocol at several origins: baseline b = mean of the last h values,
        targets b(1+g) (higher) and b(1−g) (lower) on the mean of the w values after the
        assessment, assessed at the start of that period, w = each of ``synthetic_windows``
        times h (at least 1: real targets are assessed with any time left). At most
        ``max_synthetic`` episodes, sampled evenly over series.
        """
        rng = np.random.default_rng(self.random_state)
        rows, ys = [], []
        per_series = max(1, self.max_synthetic // max(1, hist[ID].nunique()))
        for _, g in hist.dropna(subset=[Y]).groupby(ID, sort=False):
            y = g[Y].to_numpy(float)
            freq = infer_freq(g[DS])
            h = _HORIZON.get(freq, 6)
            m = season_length(freq) if len(y) >= 2 * season_length(freq) else 1
            windows = sorted({max(1, int(round(s * h))) for s in self.synthetic_windows} or {h})
            cases = [(k, gap, d, w) for k in (2, 3, 4, 5, 6) if len(y) - k * h >= 3 * h
                     for gap in self.synthetic_gaps for d in ("higher", "lower") for w in windows]
            if not cases:
                continue
            pick = rng.choice(len(cases), size=min(per_series, len(cases)), replace=False)
            paths = {}  # the forecaster's paths per origin, when an input (one fit per origin)
            for i in pick:
                k, gap, direction, w = cases[i]
                c = len(y) - k * h + h  # values seen: y[:c]
                b = float(y[c - h : c].mean())
                target = b * (1 + gap) if direction == "higher" else b * (1 - gap)
                outcome = float(y[c : c + w].mean())
                if self._forecast_mode() == "all" and c not in paths:
                    paths[c] = forecast_paths(y[:c], horizon=max(windows), season=m)
                f = assessment_features(y[:c], target=target, direction=direction, aggregation="mean", baseline=b,
                                        period_len=w, gap=0, done=np.empty(0), elapsed=0.0, season=m,
                                        paths=paths.get(c))
                rows.append(f)
                ys.append(outcome < target if direction == "higher" else outcome > target)
        return pd.DataFrame(rows), np.asarray(ys, dtype=int)

    # ------------------------------------------------------------------ fit / assess
    def fit(self, history: pd.DataFrame, targets: pd.DataFrame | None = None):
        """Learn from past targets (deadline observed) and synthetic targets on the series."""
        hist = validate_series(history)
        Xs, ys = [], []
        real = build_episodes(hist, validate_targets(targets)) if targets is not None and len(targets) else pd.DataFrame()
        if not real.empty:
            Xs.append(self._episode_table(hist, real))
            ys.append(real["missed"].astype(int).to_numpy())
        if self.synthetic_gaps and self.max_synthetic:
            X_syn, y_syn = self.synthetic_table(hist)
            if len(y_syn):
                Xs.append(X_syn)
                ys.append(y_syn)
        if not Xs:
            raise DataContractError("targets: no past target and no series long enough to learn from", field=DEADLINE)
        self.n_real_episodes_ = int(len(real))
        # the fallback for targets on series with too little history: the pace rule's miss
        # rates on the same past targets (its own defaults without any)
        self.pace_ = LinearPaceRule().fit(hist, targets)
        return self.fit_features(pd.concat(Xs, ignore_index=True), np.concatenate(ys))

    def status(self, p: np.ndarray) -> np.ndarray:
        return np.where(p >= self.red, "red", np.where(p >= self.amber, "amber", "green"))

    def assess(self, history: pd.DataFrame, targets: pd.DataFrame, *, as_of=None) -> pd.DataFrame:
        """Risk of each target. A target whose series has fewer than ``MIN_HISTORY`` values
        up to its assessment gets the pace rule's miss rate for its colour, and says so."""
        check_is_fitted(self, "n_episodes_")
        hist = validate_series(history)
        tg = validate_targets(targets)
        unknown = sorted(set(tg[ID]) - set(hist[ID]))
        if unknown:
            raise DataContractError(f"targets: no history for series {short(unknown)}", field=ID, ids=unknown)
        check_targets(hist, tg, as_of)
        when = pd.Timestamp(as_of) if as_of is not None else None
        info = self._series_info(hist)
        last = hist.groupby(ID)[DS].max()
        recs = tg.to_dict("records")
        as_ofs = [min(when if when is not None else last[t[ID]], t[DEADLINE]) for t in recs]
        cache = {}
        X = pd.DataFrame([self._features(t, info[t[ID]], a, cache) for t, a in zip(recs, as_ofs)])
        pace = LinearPaceRule().progress(hist, tg, as_of=when)  # rates and the colour of the pace rule
        p_pace = pace["status"].map(self._pace_rates()).to_numpy(float)
        p = self.predict_features(X, p_pace=p_pace)
        w, why = self._familiarity_or_none(X)
        contrib = self.contributions(X)
        short_history = observed_counts(hist, tg, as_ofs) < MIN_HISTORY
        rows = []
        for i, t in enumerate(recs):
            rate, required = pace.loc[i, "current_rate"], pace.loc[i, "required_rate"]
            if short_history[i]:
                p[i], (en, zh) = self._pace_fallback(pace.loc[i], rate, required)
            else:
                en, zh = self._reason(p[i], contrib[i], rate, required)
                if w[i] < 0.95 and why[i]:
                    note_en, note_zh = shrunk_note(why[i], w[i], self._towards(why[i], X.iloc[i]))
                    en, zh = note_en + en, note_zh + zh
            rows.append({
                "target_id": t["target_id"], ID: t[ID], "as_of": as_ofs[i], "p_miss": float(p[i]),
                "status": str(self.status(p[i : i + 1])[0]), "pace_status": pace.loc[i, "status"],
                "current": X.loc[i, "_current"], "projected": X.loc[i, "projected"],
                "projected_lo": X.loc[i, "projected_lo"], "projected_hi": X.loc[i, "projected_hi"],
                "required_rate": float(required), "current_rate": float(rate), "reason_en": en, "reason_zh": zh,
            })
        return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)

    def _towards(self, why: str, x: pd.Series) -> str:
        """The reference an unfamiliar assessment was shrunk towards, for its reason line."""
        towards = getattr(self, "shrink_towards", "pace")
        if towards not in ("auto", "forecast"):
            return towards
        if why == "unusual volatility":
            return "prior"
        short = towards == "forecast" and x["n_origins"] < MIN_ORIGINS and pd.notna(x.get("p_forecast"))
        return "forecast" if short else "empirical"

    def _pace_rates(self) -> dict:
        rule = getattr(self, "pace_", None)  # models trained before the fallback existed: the rule's defaults
        return rule.miss_rate_ if rule is not None else {"green": 0.2, "amber": 0.5, "red": 0.8}

    def _pace_fallback(self, pace: pd.Series, rate: float, required: float) -> tuple[float, tuple[str, str]]:
        rates = self._pace_rates()
        status = str(pace["status"])
        p = float(rates[status])
        en = (f"Too little history to model (fewer than {MIN_HISTORY} periods): {p:.0%} is the pace rule's miss rate "
              f"for targets at {float(pace['progress_ratio']):.0%} of the planned progress ({status}).")
        zh = (f"历史数据太少（不足{MIN_HISTORY}期），无法建模：按计划进度线规则，完成计划进度"
              f"{float(pace['progress_ratio']):.0%}的目标未达标率为{p:.0%}。")
        tail_en = f" Needed per remaining period: {required:,.3g}; current rate: {rate:,.3g}."
        tail_zh = f"剩余每期需 {required:,.3g}，目前为 {rate:,.3g}。"
        return p, (en + tail_en, zh + tail_zh)

    def _reason(self, p: float, contrib: np.ndarray, rate: float, required: float) -> tuple[str, str]:
        toward_miss = p >= 0.5
        order = np.argsort(-contrib if toward_miss else contrib)
        picks = [ALL_FEATURES[j] for j in order if ALL_FEATURES[j] in REASONS and (contrib[j] > 0) == toward_miss][:2]
        idx = 0 if toward_miss else 2
        en = "; ".join(REASONS[f][idx] for f in picks) or "the outlook is balanced"
        zh = "；".join(REASONS[f][idx + 1] for f in picks) or "前景大致均衡"
        head_en = f"{p:.0%} chance of missing the target: {en}."
        head_zh = f"未达标概率 {p:.0%}：{zh}。"
        tail_en = f" Needed per remaining period: {required:,.3g}; current rate: {rate:,.3g}."
        tail_zh = f"剩余每期需 {required:,.3g}，目前为 {rate:,.3g}。"
        return head_en + tail_en, head_zh + tail_zh

