"""Chinese working-day calendar: official facts, shapes, and the fallback for later years."""

import datetime as dt

import chinese_calendar
import numpy as np
import pandas as pd
import pytest

from govperf_ml.calendar import (
    CALENDAR_COLUMNS,
    MAX_HOLIDAY_DISTANCE,
    calendar_features,
    period_working_day_share,
    working_days_in_period,
)
from govperf_ml.contracts import DataContractError


def _row(day: str) -> pd.Series:
    return calendar_features([day]).iloc[0]


def test_spring_festival_2024_is_a_holiday():
    row = _row("2024-02-10")
    assert row.is_holiday and not row.is_workday
    assert row.holiday_name == "Spring Festival"
    assert row.days_to_next_holiday == 0 and row.days_since_last_holiday == 0


def test_sunday_2024_02_04_is_an_adjusted_working_day():
    row = _row("2024-02-04")
    assert row.dow == 6
    assert row.is_workday and row.is_adjusted_workday
    assert not row.is_holiday and row.holiday_name == ""


def test_national_day_2024_is_a_holiday_on_a_weekday():
    row = _row("2024-10-01")
    assert row.is_holiday and not row.is_workday and row.is_adjusted_rest
    assert row.holiday_name == "National Day"


def test_plain_wednesday_is_a_working_day():
    row = _row("2024-03-06")
    assert row.dow == 2
    assert row.is_workday and not row.is_holiday
    assert not row.is_adjusted_workday and not row.is_adjusted_rest
    assert row.holiday_name == ""


def test_ordinary_weekend_is_rest_but_not_a_holiday():
    row = _row("2024-03-09")
    assert not row.is_workday and not row.is_holiday
    assert not row.is_adjusted_workday and not row.is_adjusted_rest


def test_weekend_inside_a_holiday_run_is_named_after_the_holiday():
    assert _row("2024-02-17").holiday_name == "Spring Festival"
    assert _row("2024-02-15").is_adjusted_rest  # a Thursday off, swapped for 4 Feb


def test_distances_to_holidays_are_counted_and_capped():
    f = calendar_features(["2024-09-30", "2024-10-08", "2024-07-15"])
    assert f["days_to_next_holiday"].tolist()[0] == 1
    assert f["days_since_last_holiday"].tolist()[1] == 1
    assert f["days_to_next_holiday"].tolist()[2] == MAX_HOLIDAY_DISTANCE
    assert f["days_since_last_holiday"].tolist()[2] == MAX_HOLIDAY_DISTANCE


def test_output_is_indexed_like_the_input():
    s = pd.Series(pd.to_datetime(["2024-02-10 13:45", "2024-02-10 00:00", "2024-03-06 08:00"]), index=["a", "b", "c"])
    f = calendar_features(s)
    assert list(f.index) == ["a", "b", "c"]
    assert list(f.columns) == list(CALENDAR_COLUMNS)
    assert f["is_holiday"].tolist() == [True, True, False]  # the time of day is dropped

    idx = pd.date_range("2024-01-01", periods=5, freq="D")
    assert calendar_features(idx).index.equals(idx)
    assert calendar_features([dt.date(2024, 1, 1)]).index.equals(pd.RangeIndex(1))


def test_dtypes_and_date_parts():
    f = calendar_features(pd.date_range("2024-12-30", "2025-01-02"))
    for col in ("is_workday", "is_holiday", "is_adjusted_workday", "is_adjusted_rest"):
        assert f[col].dtype == bool
    for col in ("days_to_next_holiday", "days_since_last_holiday", "dow", "month", "day_of_year"):
        assert f[col].dtype == np.int64
    assert f["day_of_year"].tolist() == [365, 366, 1, 2]
    assert f.loc["2025-01-01", "holiday_name"] == "New Year's Day"


def test_many_dates_are_handled_at_once():
    days = pd.Series(pd.date_range("2021-01-01", "2025-12-31", freq="D").repeat(28))
    f = calendar_features(days)
    assert len(f) == len(days) > 50_000
    daily = f.groupby(days.to_numpy()).first()
    # 2024 had 251 official working days
    assert int(daily.loc["2024", "is_workday"].sum()) == 251


def test_empty_input_gives_an_empty_frame():
    f = calendar_features([])
    assert f.empty and list(f.columns) == list(CALENDAR_COLUMNS)


def test_unparseable_dates_raise_a_contract_error():
    with pytest.raises(DataContractError, match="unparseable"):
        calendar_features(["2024-01-01", "not a date"])


def test_years_outside_chinesecalendar_fall_back_to_the_holidays_package():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2030, 10, 1))
    f = calendar_features(["2030-10-01", "2030-10-02", "2030-10-16", "2030-01-01"])
    assert f["is_holiday"].tolist() == [True, True, False, True]
    assert f["holiday_name"].tolist()[0] == "National Day"
    assert f["holiday_name"].tolist()[3] == "New Year's Day"
    assert f["is_workday"].tolist()[2]  # a plain Wednesday


def test_working_days_in_period():
    assert working_days_in_period("2024-01-01", "2024-12-31") == 251
    # February 2024: Spring Festival 10-17 Feb, working Sundays 4 and 18 Feb
    assert working_days_in_period("2024-02-01", "2024-02-29") == 18
    assert working_days_in_period("2024-02-04", "2024-02-04") == 1
    assert working_days_in_period("2024-02-05", "2024-02-01") == 0


def test_period_working_day_share_for_monthly_data():
    ds = pd.Series(pd.to_datetime(["2024-02-01", "2024-02-29", "2024-10-01"]), index=[10, 11, 12])
    out = period_working_day_share(ds, "M")
    assert list(out.index) == [10, 11, 12]
    assert out["n_days"].tolist() == [29, 29, 31]
    assert out["n_working_days"].tolist()[:2] == [18, 18]
    assert out.loc[12, "n_holidays"] == 7
    assert out["working_day_share"].between(0, 1).all()
    assert out.loc[10, "working_day_share"] == pytest.approx(18 / 29)


def test_period_working_day_share_other_frequencies():
    q = period_working_day_share(["2024-01-15"], "Q")
    assert q["n_days"].iloc[0] == 91
    y = period_working_day_share(["2024-06-30"], "YS")
    assert y["n_working_days"].iloc[0] == 251
