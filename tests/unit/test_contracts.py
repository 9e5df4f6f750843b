import pandas as pd
import pytest

from govperf_ml.contracts import (
    DataContractError, validate_feedback, validate_indicators, validate_series, validate_targets,
)


def series(**cols):
    base = {"unique_id": ["a", "a", "b"], "ds": ["2024-01-01", "2024-02-01", "2024-01-01"], "y": [1.0, 2.0, 3.0]}
    base.update(cols)
    return pd.DataFrame(base)


def test_valid_series_is_sorted_typed_copy():
    df = series(unique_id=["b", "a", "a"])
    out = validate_series(df)
    assert out["unique_id"].tolist() == ["a", "a", "b"]
    assert str(out["ds"].dtype).startswith("datetime64")
    assert df["ds"].tolist()[0] == "2024-01-01"  # input untouched


@pytest.mark.parametrize(
    "cols, field",
    [
        ({"y": ["1", "x", "3"]}, "y"),
        ({"ds": ["2024-01-01", "not a date", "2024-01-01"]}, "ds"),
        ({"ds": ["2024-01-01", "2024-01-01", "2024-01-01"]}, "ds"),
        ({"y": [1.0, float("inf"), 2.0]}, "y"),
    ],
)
def test_series_errors_name_field(cols, field):
    with pytest.raises(DataContractError) as err:
        validate_series(series(**cols))
    assert err.value.field == field
    assert field in str(err.value)
    assert "a" in err.value.ids


def test_missing_column():
    with pytest.raises(DataContractError, match="missing required column 'y'"):
        validate_series(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}))


def test_not_a_frame_and_empty():
    with pytest.raises(DataContractError, match="DataFrame"):
        validate_series([1, 2])
    with pytest.raises(DataContractError, match="no rows"):
        validate_series(pd.DataFrame(columns=["unique_id", "ds", "y"]))


def test_missing_y_allowed_or_not():
    df = series(y=[1.0, None, 3.0])
    assert validate_series(df)["y"].isna().sum() == 1
    with pytest.raises(DataContractError, match="no blanks"):
        validate_series(df, allow_missing_y=False)


def test_indicators_direction_checked():
    meta = pd.DataFrame({
        "unique_id": ["a", "b"], "org_unit": ["D1", "D2"], "indicator": ["x", "x"], "unit": ["%", "%"],
        "dimension": ["efficiency", "efficiency"], "direction": ["higher", "upwards"], "frequency": ["M", "M"],
    })
    with pytest.raises(DataContractError, match="direction") as err:
        validate_indicators(meta)
    assert err.value.ids == ["b"]


def test_targets_defaults_and_errors():
    t = validate_targets(pd.DataFrame({
        "unique_id": ["a"], "target": [90], "deadline": ["2025-12-31"], "direction": ["Higher"], "aggregation": ["MEAN"],
    }))
    assert t.loc[0, "direction"] == "higher" and t.loc[0, "aggregation"] == "mean"
    assert t.loc[0, "start"] == pd.Timestamp("2024-12-31")
    assert t.loc[0, "target_id"] == "a@2025-12-31"
    with pytest.raises(DataContractError, match="aggregation"):
        validate_targets(pd.DataFrame({
            "unique_id": ["a"], "target": [1], "deadline": ["2025-12-31"], "direction": ["higher"], "aggregation": ["median"],
        }))
    with pytest.raises(DataContractError, match="start"):
        validate_targets(pd.DataFrame({
            "unique_id": ["a"], "target": [1], "deadline": ["2025-12-31"], "start": ["2026-01-01"],
            "direction": ["higher"], "aggregation": ["last"],
        }))


def test_feedback_contract():
    df = pd.DataFrame({"text": [" 路灯坏了 ", "bus late"], "area": ["urban_construction", "transport"],
                       "dimensions": ["timeliness;outcome_quality", None]})
    out = validate_feedback(df, require_labels=True)
    assert out["message_id"].tolist() == ["msg-0", "msg-1"]
    assert out["dimensions"].tolist() == [["timeliness", "outcome_quality"], []]
    assert out["text"][0] == "路灯坏了"
    with pytest.raises(DataContractError, match="text") as err:
        validate_feedback(pd.DataFrame({"message_id": ["m1"], "text": ["  "]}))
    assert err.value.ids == ["m1"]
    with pytest.raises(DataContractError, match="channel"):
        validate_feedback(pd.DataFrame({"text": ["x"], "channel": ["fax"]}))
