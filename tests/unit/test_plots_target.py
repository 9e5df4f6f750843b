"""The target chart (outcome on the target's scale, projection fan) and lone band points."""

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from govperf_ml.plots import series_chart, to_svg
from govperf_ml.plots.target import Z80, Z95, outcome_path, projection_fan, target_chart

PERIODS = pd.period_range("2024-07", periods=12, freq="M").to_timestamp()
VALUES = np.arange(1.0, 13.0)  # 1..12


def test_the_outcome_is_on_the_targets_scale():
    start = "2025-01-01"  # the 7th value
    last = outcome_path(PERIODS, VALUES, start=start, aggregation="last")
    assert last["y"].tolist() == VALUES.tolist()  # the values, with those before the start for context
    mean = outcome_path(PERIODS, VALUES, start=start, aggregation="mean")
    assert mean["ds"].iloc[0] == pd.Timestamp(start) and mean["y"].tolist() == [7, 7.5, 8, 8.5, 9, 9.5]
    total = outcome_path(PERIODS, VALUES, start=start, aggregation="sum")
    assert total["y"].tolist() == [7, 15, 24, 34, 45, 57]
    with pytest.raises(ValueError, match="aggregation"):
        outcome_path(PERIODS, VALUES, start=start, aggregation="median")


def test_the_fan_runs_from_the_last_outcome_to_the_projection_and_95_is_wider():
    fan = projection_fan("2025-06-01", 57.0, "2025-12-31", 120.0, 110.0, 126.0)
    assert fan.iloc[0][["mean", "lo_80", "hi_80", "lo_95", "hi_95"]].tolist() == [57.0] * 5
    end = fan.iloc[1]
    assert (end["mean"], end["lo_80"], end["hi_80"]) == (120.0, 110.0, 126.0)
    assert math.isclose(120 - end["lo_95"], 10 * Z95 / Z80) and math.isclose(end["hi_95"] - 120, 6 * Z95 / Z80)


def test_target_chart_draws_the_fan_only_with_a_projection():
    with_fan = target_chart(PERIODS, VALUES, start="2025-01-01", deadline="2025-12-31", target=100.0,
                            aggregation="sum", projected=120.0, projected_lo=110.0, projected_hi=126.0,
                            labels={"fan80": "80%区间"})
    without = target_chart(PERIODS, VALUES, start="2025-01-01", deadline="2025-12-31", target=100.0,
                           aggregation="sum")
    legend = [t.get_text() for t in with_fan.axes[0].get_legend().get_texts()]
    assert "80%区间" in legend and "95 % interval" in legend
    assert "80 % interval" not in [t.get_text() for t in without.axes[0].get_legend().get_texts()]
    assert to_svg(with_fan).startswith("<svg")


def test_a_band_known_at_lone_periods_is_drawn_as_bars():
    lower = np.full(12, np.nan)
    upper = np.full(12, np.nan)
    lower[[3, 8]], upper[[3, 8]] = 2.0, 5.0
    fig = series_chart(PERIODS, VALUES, lower=lower, upper=upper, expected=(lower + upper) / 2)
    bars = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    assert len(bars) == 1 and len(bars[0].get_segments()) == 2
