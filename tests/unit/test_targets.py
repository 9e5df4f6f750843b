import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.targets import LinearPaceRule, aggregate_outcome, build_episodes


def history(values, start="2024-01-01", uid="a"):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq="MS"), "y": values})


def target(value, direction="higher", aggregation="last", uid="a", start="2024-12-31", deadline="2025-12-31"):
    return pd.DataFrame({"unique_id": [uid], "target": [value], "start": [start], "deadline": [deadline],
                         "direction": [direction], "aggregation": [aggregation]})


def fitted():
    return LinearPaceRule().fit(history(np.linspace(50, 60, 24)), target(58, start="2023-12-31", deadline="2024-12-31"))


@pytest.mark.parametrize(
    "values, status",
    [
        (np.r_[np.full(12, 80.0), np.linspace(80.5, 83, 6)], "green"),  # on the planned line to 86 by Dec
        (np.r_[np.full(12, 80.0), np.linspace(80.2, 82.4, 6)], "amber"),
        (np.r_[np.full(12, 80.0), np.full(6, 80.0)], "red"),
    ],
)
def test_pace_status(values, status):
    h = history(values)
    res = fitted().assess(h, target(86.0), as_of="2025-06-30")
    assert res.loc[0, "status"] == status
    assert 0 <= res.loc[0, "p_miss"] <= 1
    assert res.loc[0, "projected_lo"] <= res.loc[0, "projected"] <= res.loc[0, "projected_hi"]


def test_lower_is_better_and_sum():
    h = history(np.r_[np.full(12, 10.0), np.full(6, 10.0)])
    res = fitted().assess(h, target(8.0, direction="lower"), as_of="2025-06-30")
    assert res.loc[0, "status"] == "red"
    h2 = history(np.r_[np.full(12, 10.0), np.full(6, 10.0)])
    ok = fitted().assess(h2, target(120.0, aggregation="sum"), as_of="2025-06-30")
    assert ok.loc[0, "status"] == "green"  # 60 of 120 by mid-year
    assert ok.loc[0, "required_rate"] == pytest.approx(60 / 6, rel=0.05)


def test_outcome_and_episodes():
    h = history(np.linspace(50, 61, 24))
    t = pd.concat([target(55, start="2023-12-31", deadline="2024-12-31"),
                   target(70, start="2024-12-31", deadline="2025-12-31")])
    from govperf_ml.contracts import validate_targets

    tv = validate_targets(t)
    out = aggregate_outcome(h, tv)
    assert out["target_id"].tolist() == ["a@2024-12-31", "a@2025-12-31"]
    assert out["missed"].tolist() == [False, True]
    ep = build_episodes(h, tv)
    assert len(ep) == 6
    assert ((ep["as_of"] > ep["start"]) & (ep["as_of"] < ep["deadline"])).all()


def test_fit_learns_miss_rates():
    rule = fitted()
    assert set(rule.miss_rate_) == {"green", "amber", "red"}
    assert rule.n_episodes_ == 3


def test_unknown_series_is_contract_error():
    with pytest.raises(DataContractError, match="no history") as err:
        fitted().assess(history([1.0, 2.0]), target(3.0, uid="zzz"))
    assert err.value.ids == ["zzz"]
