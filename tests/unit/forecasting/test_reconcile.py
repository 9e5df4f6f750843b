import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting.reconcile import reconcile, summing_matrix

H = pd.DataFrame({"unique_id": ["CITY", "A", "B"], "parent": [None, "CITY", "CITY"]})


def forecasts(city=10.0, a=4.0, b=5.0, days=3):
    ds = pd.date_range("2025-01-01", periods=days)
    rows = []
    for uid, v in (("CITY", city), ("A", a), ("B", b)):
        for d in ds:
            rows.append({"unique_id": uid, "ds": d, "f": v, "f-lo-80": v - 1, "f-hi-80": v + 1})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("top", [None, "", float("nan")])
def test_summing_matrix(top):
    S, nodes, leaves = summing_matrix(H.assign(parent=[top, "CITY", "CITY"]))
    assert nodes == ["A", "B", "CITY"] and leaves == ["A", "B"]
    np.testing.assert_array_equal(S, [[1, 0], [0, 1], [1, 1]])


@pytest.mark.parametrize("method", ["bottom_up", "ols", "mint_shrink"])
def test_coherent_and_keeps_width(method):
    out = reconcile(forecasts(), H, method=method)
    wide = out.pivot(index="ds", columns="unique_id", values="f")
    np.testing.assert_allclose(wide["A"] + wide["B"], wide["CITY"])
    np.testing.assert_allclose(out["f-hi-80"] - out["f-lo-80"], 2.0)


def test_ols_splits_the_discrepancy():
    out = reconcile(forecasts(city=12.0), H, method="ols")
    v = out.groupby("unique_id")["f"].first()
    # base 4 + 5 = 9 vs 12: OLS moves every node by a share of the gap
    assert v["A"] > 4 and v["B"] > 5 and v["CITY"] < 12
    np.testing.assert_allclose(v["A"] + v["B"], v["CITY"])


def test_already_coherent_is_unchanged():
    base = forecasts(city=9.0)
    out = reconcile(base, H, method="ols")
    np.testing.assert_allclose(out["f"], base["f"])


def test_missing_node_named():
    with pytest.raises(DataContractError, match="CITY"):
        reconcile(forecasts().query("unique_id != 'CITY'"), H)
