import numpy as np
import pandas as pd
import pytest

from govperf_ml.forecasting.accuracy import DriftRule, find_drift, score, summarise


def rows(actuals, mean=10.0, half80=1.0, half95=2.0, scale=2.0, uid="s"):
    n = len(actuals)
    return pd.DataFrame({"unique_id": uid, "mean": mean, "actual": actuals, "scale": scale,
                         "lo_80": mean - half80, "hi_80": mean + half80, "lo_95": mean - half95,
                         "hi_95": mean + half95}, index=range(n))


def test_score_and_summarise_by_hand():
    scored = score(rows([10.0, 11.0, 13.0, 7.0]))
    assert scored["abs_error"].tolist() == [0, 1, 3, 3]
    assert scored["in_80"].tolist() == [1, 1, 0, 0] and scored["in_95"].tolist() == [1, 1, 0, 0]
    figures = summarise(scored).iloc[0]
    assert figures["mae"] == pytest.approx(7 / 4) and figures["mase"] == pytest.approx(7 / 8)
    assert figures["coverage80"] == 0.5 and figures["n_80"] == 4 and figures["hits_80"] == 2


def test_missing_scale_or_interval_counts_nowhere():
    frame = rows([10.0, 30.0]).assign(scale=[0.0, np.nan], lo_95=[np.nan, 8.0])
    figures = summarise(score(frame)).iloc[0]
    assert np.isnan(figures["mase"]) and figures["n_scaled"] == 0
    assert figures["n_95"] == 1 and figures["hits_95"] == 0


def test_summarise_groups():
    both = pd.concat([rows([10.0] * 3, uid="a"), rows([20.0] * 2, uid="b")], ignore_index=True)
    table = summarise(score(both), ["unique_id"]).set_index("unique_id")
    assert table.loc["a", "coverage80"] == 1.0 and table.loc["b", "coverage80"] == 0.0 and table.loc["b", "n"] == 2


def figures_of(actuals):
    return summarise(score(rows(actuals))).iloc[0].to_dict()


def test_intervals_that_stopped_holding_are_drift():
    drifts = find_drift(figures_of([10.0] * 5 + [20.0] * 15), {"coverage80": 0.82, "coverage95": 0.96, "mase": 0.8})
    assert {d.metric for d in drifts} == {"coverage80", "coverage95", "mase"}
    cov = next(d for d in drifts if d.metric == "coverage80")
    assert cov.live == 0.25 and cov.expected == 0.8 and cov.p_value < 0.001  # promised: min(nominal, backtest)
    assert "80 %" in cov.reason_en and "80%" in cov.reason_zh


def test_ordinary_luck_and_too_few_points_are_not_drift():
    rng = np.random.default_rng(0)
    honest = list(10 + rng.normal(0, 1 / 1.2816, 40))  # an 80 % interval of ±1 that is right
    assert find_drift(figures_of(honest), {"coverage80": 0.8, "coverage95": 0.95, "mase": 0.5}) == []
    assert find_drift(figures_of([20.0] * 11), {"coverage80": 0.8}) == []  # fewer than min_points
    assert find_drift(figures_of([20.0] * 11), {}, DriftRule(min_points=5))  # nominal level without a backtest


def test_an_over_covering_backtest_does_not_make_nominal_coverage_drift():
    eighty = [10.0] * 16 + [20.0] * 4
    assert not [d for d in find_drift(figures_of(eighty), {"coverage80": 0.99}) if d.metric == "coverage80"]
