import warnings

import numpy as np
import pandas as pd
import pytest

from govperf_ml import plots
from govperf_ml.plots import series_chart, to_png, to_svg

PERIODS = pd.period_range("2024-01", periods=18, freq="M").to_timestamp()
VALUES = np.linspace(90, 110, 18)


def test_series_chart_is_deterministic_svg_with_every_layer():
    forecast = pd.DataFrame({"ds": pd.period_range("2025-07", periods=3, freq="M").to_timestamp(),
                             "mean": 100.0, "lo_80": 95.0, "hi_80": 105.0, "lo_95": 90.0, "hi_95": 110.0})
    draw = lambda: to_svg(series_chart(  # noqa: E731
        PERIODS, VALUES, expected=VALUES, lower=VALUES - 5, upper=VALUES + 5, flagged=[PERIODS[3]],
        target=120, target_deadline="2025-12-01", forecast=forecast, peers={"D02": VALUES + 3},
        title="鼓楼区 热线", labels={"history": "实际值"}))
    first, second = draw(), draw()
    assert first.startswith("<svg") and first == second  # reports are reproducible


def test_chinese_text_is_drawn_with_a_cjk_font():
    if plots.cjk_font() is None:
        pytest.skip("no CJK font installed (scripts/bootstrap.sh installs fonts-noto-cjk as root)")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        to_png(series_chart(PERIODS, VALUES, title="鼓楼区 热线 接通率"))
    assert not [str(w.message) for w in seen if "missing from font" in str(w.message)]


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="periods"):
        series_chart(PERIODS, VALUES[:-1])
