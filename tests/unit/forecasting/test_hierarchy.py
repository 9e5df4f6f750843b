"""Hierarchies of the user's series: validation names the node, aggregation, coherence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting.hierarchy import (
    aggregate,
    coherence_error,
    forecast_hierarchy,
    from_keys,
    from_parents,
)


def links(*pairs) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["unique_id", "parent"])


def panel(ids, n=30, seed=0, start="2020-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=n, freq="MS")
    return pd.DataFrame([
        {"unique_id": u, "ds": d, "y": float(10 + 3 * np.sin(i / 2) + rng.normal())}
        for u in ids for i, d in enumerate(ds)
    ])


class MaxOfLastThree:
    """Not additive (the max of sums is not the sum of maxes), so base forecasts are incoherent."""

    alias = "M"

    def forecast(self, df, *, h, level=(80,), freq=None):
        rows = []
        for uid, g in df.sort_values("ds").groupby("unique_id"):
            top = float(g["y"].tail(3).max())
            for ds in pd.date_range(g["ds"].iloc[-1], periods=h + 1, freq="MS")[1:]:
                rows.append({"unique_id": uid, "ds": ds, "M": top,
                             **{f"M-{s}-{lv}": top + (lv / 10 if s == "hi" else -lv / 10)
                                for lv in level for s in ("lo", "hi")}})
        return pd.DataFrame(rows)


TREE = links(("T", None), ("A", "T"), ("B", "T"), ("a1", "A"), ("a2", "A"), ("b1", "B"))


def test_parent_links_give_depth_levels_and_bottom():
    h = from_parents(TREE)
    assert sorted(h.bottom) == ["a1", "a2", "b1"]
    assert h.level_of() == {"T": "0", "A": "1", "B": "1", "a1": "2", "a2": "2", "b1": "2"}


@pytest.mark.parametrize(
    ("table", "match", "node"),
    [
        (links(("T", None), ("A", "B"), ("B", "A"), ("a", "A")), "cycle", "A"),
        (links(("T", None), ("A", "T"), ("a", "X")), "parent \\['X'\\]", "a"),
        (links(("T", None), ("A", "T"), ("A", "T")), "more than once", "A"),
        (links(("A", "A"),), "cycle", "A"),
    ],
)
def test_bad_links_name_the_node(table, match, node):
    with pytest.raises(DataContractError, match=match) as err:
        from_parents(table)
    assert node in err.value.ids


def test_aggregation_sums_the_bottom_series_and_zero_fills_late_starts():
    h = from_parents(TREE)
    hist = pd.concat([panel(["a1", "a2"]), panel(["b1"], n=20, start="2020-11-01")])
    agg = aggregate(hist, h).set_index(["unique_id", "ds"])["y"]
    a = agg.loc["a1"] + agg.loc["a2"]
    assert np.allclose(agg.loc["A"], a)
    total = agg.loc["T"]
    assert len(total) == 30 and np.allclose(total, a + agg.loc["B"].reindex(a.index).fillna(0))
    assert "B" in agg.index.get_level_values(0) and len(agg.loc["B"]) == 20


@pytest.mark.parametrize(
    ("history", "match", "node"),
    [
        (lambda p: p[p["unique_id"] != "b1"], "no history for bottom series", "b1"),
        (lambda p: p.drop(index=p.index[(p["unique_id"] == "a2")][5]), "sum for 'A' cannot be formed", "A"),
        (lambda p: p[~((p["unique_id"] == "a2") & (p["ds"] > "2022-01-01"))], "end before", "a2"),
        (lambda p: pd.concat([p, panel(["zz"])]), "not in the hierarchy", "zz"),
        (lambda p: pd.concat([p, panel(["A"], seed=9)]), "not the sum of its children", "A"),
    ],
)
def test_bad_histories_name_the_node(history, match, node):
    with pytest.raises(DataContractError, match=match) as err:
        aggregate(history(panel(["a1", "a2", "b1"])), from_parents(TREE))
    assert node in err.value.ids


def test_key_columns_build_levels_and_name_aggregates_by_their_path():
    ids = ["C/CP/A", "C/CP/B", "C/SN/A", "G/CP/A"]
    keys = pd.DataFrame({"unique_id": ids, "Concession": ["C", "C", "C", "G"], "Type": ["CP", "CP", "SN", "CP"],
                         "ATC1": ["A", "B", "A", "A"]})
    h = from_keys(keys, ["Concession", "Type", "ATC1"])
    lv = h.level_of()
    assert lv["Total"] == "Total" and lv["C"] == "Concession" and lv["C/CP"] == "Concession/Type"
    assert lv["C/CP/A"] == "Concession/Type/ATC1" and sorted(h.bottom) == ids
    parent = dict(zip(h.links["unique_id"], h.links["parent"]))
    assert parent["C/CP/A"] == "C/CP" and parent["C/CP"] == "C" and parent["C"] == "Total"
    # two series sharing the full key combination sit under it
    shared = from_keys(keys.assign(unique_id=["s1", "s2", "s3", "s4"], ATC1="A"), ["Concession", "Type", "ATC1"])
    parent = dict(zip(shared.links["unique_id"], shared.links["parent"]))
    assert parent["s1"] == parent["s2"] == "C/CP/A" and shared.level_of()["s1"] == "series"
    # an aggregate named like a series is one node listed twice
    with pytest.raises(DataContractError, match="more than once") as err:
        from_keys(keys.assign(ATC1="A"), ["Concession", "Type", "ATC1"])
    assert "C/CP/A" in err.value.ids


def test_key_columns_must_be_constant_and_present():
    keys = pd.DataFrame({"unique_id": ["s1", "s1", "s2"], "K": ["a", "b", "a"]})
    with pytest.raises(DataContractError, match="change within") as err:
        from_keys(keys, ["K"])
    assert err.value.ids == ["s1"]
    with pytest.raises(DataContractError, match="lack a key value"):
        from_keys(pd.DataFrame({"unique_id": ["s1"], "K": [None]}), ["K"])
    with pytest.raises(DataContractError, match="not in the data"):
        from_keys(keys, ["Nope"])


@pytest.mark.parametrize("method", ["bottom_up", "ols", "mint_shrink"])
def test_reconciled_forecasts_add_up_at_every_level(method):
    h = from_parents(TREE)
    est, hist = MaxOfLastThree(), panel(["a1", "a2", "b1"])
    fc = forecast_hierarchy(est, hist, h, h=6, level=(80, 95), method=method, season_length=12)
    assert set(fc["unique_id"]) == set(h.nodes) and len(fc) == 6 * 6
    assert set(fc["level"]) == {"0", "1", "2"}
    assert coherence_error(fc, h, "M") < 1e-9
    # intervals move with their point forecast: same width, centred on it
    assert np.allclose(fc["M-hi-80"] - fc["M-lo-80"], 16) and np.allclose(fc["M-lo-95"], fc["M"] - 9.5)
    base = forecast_hierarchy(est, hist, h, h=6, method="none")
    assert coherence_error(base, h, "M") > 1e-3
