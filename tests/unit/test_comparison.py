"""govperf_ml.comparison: direction, peer z-scores, targets, ranks and rank changes."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.comparison import COLUMNS, compare_dimensions, compare_units, rank_history
from govperf_ml.contracts import DataContractError

META = pd.DataFrame({
    "indicator": ["on_time", "days"],
    "dimension": ["efficiency", "efficiency"],
    "direction": ["higher", "lower"],
})
UNITS = ["A", "B", "C", "D", "E"]


def panel(values: dict[str, dict[str, list[float]]], start="2025-01-01") -> pd.DataFrame:
    """{indicator: {unit: [value per month]}} -> unique_id, ds, y."""
    rows = []
    for ind, by_unit in values.items():
        for unit, ys in by_unit.items():
            for i, y in enumerate(ys):
                rows.append((f"{unit}|{ind}", pd.Timestamp(start) + pd.DateOffset(months=i), y))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


OBS = panel({
    "on_time": {"A": [90, 95], "B": [92, 91], "C": [94, 93], "D": [96, 92], "E": [80, 97]},
    "days": {"A": [5, 4], "B": [6, 6], "C": [7, 8], "D": [8, 5], "E": [3, 9]},
})


def row(table, unit, indicator):
    return table[(table["unit"] == unit) & (table["indicator"] == indicator)].iloc[0]


def test_tidy_columns_one_row_per_unit_and_indicator():
    table = compare_units(OBS, META, period="2025-02-01")
    assert tuple(table.columns) == COLUMNS
    assert len(table) == 10 and not table.duplicated(["unit", "indicator"]).any()
    assert (table["ds"] == pd.Timestamp("2025-02-01")).all()


def test_direction_lower_is_better_flips_z_and_rank():
    table = compare_units(OBS, META, period="2025-02-01")
    # days in Feb: A 4, B 6, C 8, D 5, E 9 -> A is best (fewest days), E worst
    assert row(table, "A", "days")["rank"] == 1 and row(table, "E", "days")["rank"] == 5
    assert row(table, "A", "days")["z_vs_peers"] > 0 > row(table, "E", "days")["z_vs_peers"]
    # on_time in Feb: E 97 best, B 91 worst
    assert row(table, "E", "on_time")["rank"] == 1 and row(table, "B", "on_time")["rank"] == 5


def test_robust_z_against_peers_median_and_mad():
    table = compare_units(OBS, META, period="2025-02-01")
    feb = np.array([95, 91, 93, 92, 97.0])
    med = np.median(feb)
    mad = np.median(np.abs(feb - med)) * 1.4826
    assert row(table, "A", "on_time")["z_vs_peers"] == pytest.approx((95 - med) / mad)
    assert row(table, "A", "on_time")["n_peers"] == 5


def test_z_unchanged_by_positive_affine_rescaling():
    scaled = OBS.assign(y=OBS["y"] * 3.5 + 10)
    a = compare_units(OBS, META, period="2025-02-01")["z_vs_peers"]
    b = compare_units(scaled, META, period="2025-02-01")["z_vs_peers"]
    np.testing.assert_allclose(a, b)


def test_zero_mad_falls_back_and_equal_values_score_zero():
    obs = panel({"on_time": {u: [90.0] for u in UNITS}})
    obs.loc[obs["unique_id"] == "E|on_time", "y"] = 80.0  # MAD 0, one unit off
    table = compare_units(obs, META.iloc[:1])
    assert row(table, "A", "on_time")["z_vs_peers"] == 0
    assert row(table, "E", "on_time")["z_vs_peers"] == pytest.approx(-10 / (2 * 1.2533))
    same = compare_units(panel({"on_time": {u: [90.0] for u in UNITS}}), META.iloc[:1])
    assert (same["z_vs_peers"] == 0).all() and (same["rank"] == 1).all()


def test_too_few_peers_gives_no_z_but_a_rank():
    obs = panel({"on_time": {"A": [90], "B": [95]}})
    table = compare_units(obs, META.iloc[:1])
    assert table["z_vs_peers"].isna().all()
    assert list(table.sort_values("unit")["rank"]) == [2, 1]


def test_peer_groups_score_within_the_group():
    groups = {"A": "g1", "B": "g1", "C": "g1", "D": "g2", "E": "g2"}
    table = compare_units(OBS, META, period="2025-02-01", peer_groups=groups)
    assert row(table, "D", "on_time")["n_peers"] == 2
    assert row(table, "D", "on_time")["rank"] == 2 and row(table, "A", "on_time")["rank"] == 1


def test_rank_change_against_previous_period():
    table = compare_units(OBS, META, period="2025-02-01")
    # on_time Jan ranks: D 1, C 2, B 3, A 4, E 5; Feb: E 1, A 2, C 3, D 4, B 5
    assert row(table, "E", "on_time")["prev_rank"] == 5 and row(table, "E", "on_time")["rank_change"] == 4
    assert row(table, "D", "on_time")["rank_change"] == -3
    assert row(table, "A", "on_time")["prev_value"] == 90
    first = compare_units(OBS, META, period="2025-01-01")
    assert first["rank_change"].isna().all()


def test_rank_change_against_same_period_last_year():
    obs = panel({"on_time": {"A": [90] + [0] * 11 + [99], "B": [95] + [0] * 11 + [91], "C": [93] * 13}})
    table = compare_units(obs, META.iloc[:1], period="2026-01-01", compare_to="year")
    assert (table["prev_ds"] == pd.Timestamp("2025-01-01")).all()
    assert row(table, "A", "on_time")["rank_change"] == 2  # 3rd -> 1st
    with pytest.raises(DataContractError, match="compare_to"):
        compare_units(obs, META.iloc[:1], compare_to="quarter")


def test_targets_pct_and_gap_with_direction_and_missing_targets():
    targets = pd.DataFrame({
        "unique_id": ["A|on_time", "A|days", "B|days", "C|days"],
        "target": [100.0, 5.0, 5.0, 0.0],
        "deadline": ["2025-12-31", "2025-12-31", "2024-12-31", "2025-12-31"],
    })
    table = compare_units(OBS, META, targets, period="2025-02-01")
    a_on, a_days = row(table, "A", "on_time"), row(table, "A", "days")
    assert a_on["pct_of_target"] == pytest.approx(95) and a_on["vs_target"] == pytest.approx(-5)
    assert a_days["pct_of_target"] == pytest.approx(80) and a_days["vs_target"] == pytest.approx(20)  # 4 days < 5
    assert np.isnan(row(table, "B", "days")["target"])  # its target ended before the period
    assert np.isnan(row(table, "C", "days")["pct_of_target"])  # a zero target: no ratio
    assert table.loc[table["unit"].isin(["D", "E"]), "target"].isna().all()
    assert compare_units(OBS, META, None, period="2025-02-01")["target"].isna().all()


def test_dimensions_average_z_and_rank():
    table = compare_units(OBS, META, period="2025-02-01")
    dims = compare_dimensions(table)
    assert len(dims) == 5 and set(dims["dimension"]) == {"efficiency"}
    a = dims[dims["unit"] == "A"].iloc[0]
    assert a["z_vs_peers"] == pytest.approx(table.loc[table["unit"] == "A", "z_vs_peers"].mean())
    assert a["n_indicators"] == 2
    best_first = dims.sort_values("z_vs_peers", ascending=False)
    assert best_first["rank"].iloc[0] == 1 and best_first["rank"].is_monotonic_increasing
    assert dims["rank_change"].notna().all()


def test_rank_history_last_n_periods():
    hist = rank_history(OBS, META, "2025-02-01", n_periods=1, indicator="days")
    assert set(hist["ds"]) == {pd.Timestamp("2025-02-01")} and len(hist) == 5
    assert len(rank_history(OBS, META, n_periods=5)) == 20
    with pytest.raises(DataContractError, match="indicator"):
        rank_history(OBS, META, indicator="nope")


def test_bad_input_names_what_is_wrong():
    with pytest.raises(DataContractError, match="period"):
        compare_units(OBS, META, period="2030-01-01")
    with pytest.raises(DataContractError, match="on_time"):
        compare_units(OBS, META.iloc[1:])
    with pytest.raises(DataContractError, match="direction"):
        compare_units(OBS, META.assign(direction="up"))
    with pytest.raises(DataContractError, match="more than one value"):
        compare_units(pd.concat([OBS, OBS.iloc[:1]]), META)


def test_heatmap_colours_diverge_and_text_stays_readable():
    from govperf_ml.plots import to_svg
    from govperf_ml.plots.heatmap import NEUTRAL, cell_color, heatmap

    good, bad, mid = cell_color(3.0), cell_color(-3.0), cell_color(0.0)
    assert good[0] != bad[0] and cell_color(9.0) == good  # clipped at the limit
    assert good[1] == "#ffffff" and mid[1] == "#000000"  # dark cells carry white text
    assert cell_color(float("nan"))[0] == NEUTRAL
    svg = to_svg(heatmap(np.array([[1.0, np.nan], [-2.0, 0.5]]), ["东湖区", "西城区"], ["效率", "质量"]))
    assert svg.startswith("<svg")
    with pytest.raises(ValueError, match="labels"):
        heatmap(np.zeros((2, 2)), ["a"], ["b", "c"])
